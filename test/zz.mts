import { repairJsonLoads } from "../src/py/json-repair.js";
for (const t of ["{,}", "{ , }", "{1}", "{\n}"]) console.log(JSON.stringify(t), JSON.stringify(repairJsonLoads(t)));
