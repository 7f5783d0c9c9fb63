/** Every scenario of `npm run bench`, by name. */
import type { ScenarioName } from '../results';
import type { Scenario } from '../scenario';
import { coldstartScenario } from './coldstart';
import { ledgerScenario } from './ledger';

export const SCENARIOS: Partial<Record<ScenarioName, Scenario>> = {
  coldstart: coldstartScenario,
  ledger: ledgerScenario,
};
