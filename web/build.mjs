// Copy the pinned front-end packages from node_modules/ into static/vendor/, which the app
// serves. Vendor files are build output (gitignored): no third-party code lives in the repo,
// and nothing is fetched from a CDN at runtime, so the dashboard works on an offline network.
import { copyFileSync, mkdirSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const vendor = join(here, "static", "vendor");
const files = [
  ["uplot/dist/uPlot.iife.min.js", "uPlot.iife.min.js"],
  ["uplot/dist/uPlot.min.css", "uPlot.min.css"],
  ["uplot/LICENSE", "uPlot.LICENSE"],
  // the API docs page (/docs) draws with Swagger UI served from here, not from a CDN
  ["swagger-ui-dist/swagger-ui-bundle.js", "swagger-ui-bundle.js"],
  ["swagger-ui-dist/swagger-ui.css", "swagger-ui.css"],
  ["swagger-ui-dist/LICENSE", "swagger-ui.LICENSE"],
];

mkdirSync(vendor, { recursive: true });
for (const [from, to] of files) {
  const src = join(here, "node_modules", from);
  if (!existsSync(src)) {
    console.error(`missing ${src}: run \`npm ci\` in web/ first`);
    process.exit(1);
  }
  copyFileSync(src, join(vendor, to));
  console.log(`vendor/${to}`);
}
