/** Writes dashboards/grafana/phoenix-blue-green.json from components/observability/grafana.ts (`npm run dashboards`). */
import * as fs from "fs";
import * as path from "path";
import { dashboardJson } from "../components/observability/grafana";

export const DASHBOARD_FILE = path.join(__dirname, "grafana", "phoenix-blue-green.json");

if (require.main === module) {
    fs.writeFileSync(DASHBOARD_FILE, dashboardJson());
    process.stdout.write(`wrote ${path.relative(process.cwd(), DASHBOARD_FILE)}\n`);
}
