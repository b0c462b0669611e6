// Lints Cypher strings with Neo4j's own grammar (@neo4j-cypher/language-support).
// Input (stdin): {"labels": [...], "relationshipTypes": [...], "queries": [{"id", "query"}]}
// Output (stdout): [{"id", "severity": "error"|"warning", "message", "offset"}]
import { lintCypherQuery, isNotParamError } from '@neo4j-cypher/language-support';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const input = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const dbSchema = {
  labels: input.labels,
  relationshipTypes: input.relationshipTypes,
  propertyKeys: input.propertyKeys || [],
};
const out = [];
for (const { id, query } of input.queries) {
  const { diagnostics } = lintCypherQuery(query, dbSchema);
  for (const d of diagnostics.filter(isNotParamError)) {
    out.push({
      id,
      severity: d.severity === 1 ? 'error' : 'warning',
      message: d.message,
      offset: d.offsets ? d.offsets.start : null,
    });
  }
}
process.stdout.write(JSON.stringify(out));
