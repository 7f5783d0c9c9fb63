/** Every scenario of `npm run bench`, by name. */
import type { ScenarioName } from '../results';
import type { Scenario } from '../scenario';
import { coldstartScenario } from './coldstart';
import { isolationScenario, memoryScenario } from './isolation';
import { ledgerScenario } from './ledger';
import { overheadScenario } from './overhead';

export const SCENARIOS: Partial<Record<ScenarioName, Scenario>> = {
  coldstart: coldstartScenario,
  ledger: ledgerScenario,
  overhead: overheadScenario,
  isolation: isolationScenario,
  memory: memoryScenario,
};
