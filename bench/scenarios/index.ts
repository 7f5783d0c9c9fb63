/** Every scenario of `npm run bench`, by name. */
import type { ScenarioName } from '../results';
import type { Scenario } from '../scenario';
import { coldstartScenario } from './coldstart';
import { fairnessScenario } from './fairness';
import { imagingScenario } from './imaging';
import { isolationScenario, memoryScenario } from './isolation';
import { ledgerScenario } from './ledger';
import { overheadScenario } from './overhead';
import { savingsScenario } from './savings';
import { soakScenario } from './soak';

export const SCENARIOS: Partial<Record<ScenarioName, Scenario>> = {
  coldstart: coldstartScenario,
  ledger: ledgerScenario,
  overhead: overheadScenario,
  savings: savingsScenario,
  isolation: isolationScenario,
  memory: memoryScenario,
  imaging: imagingScenario,
  fairness: fairnessScenario,
  soak: soakScenario,
};
