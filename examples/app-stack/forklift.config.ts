// A second real example: haproxy in front of a small Python web application, which reads
// its rows from PostgreSQL; the database's password is generated and published to the
// app nodes through settings. See README.md beside this file.
//   sudo examples/app-stack/serve-app.sh &      # the app's code as a git repository the nodes reach
//   sudo npx forklift converge -f examples/app-stack/forklift.config.ts lb=1 app=2 db=1
import { defineConfig } from 'forklift';
import { appStackGroups } from './specs.ts';

export default defineConfig({
  stack: 'app-stack',
  provider: { name: 'local' },
  // serve-app.sh serves the repository on the nodes' bridge (10.77.0.1); APP_REPO names another.
  groups: appStackGroups({ repo: process.env['APP_REPO'] ?? 'git://10.77.0.1/app.git', ref: process.env['APP_REF'] ?? 'main' }),
});
