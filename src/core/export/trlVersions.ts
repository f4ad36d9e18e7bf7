/**
 * The package versions the TRL export was run against for real (`npm run verify:trl`: every stage
 * and every trainer a stage can export, a few steps each, on a CPU with a tiny random model), and
 * the requirements.txt made from them: TRL within its major version, the others as lower bounds.
 */
export const VERIFIED_VERSIONS = { trl: '1.13.0', transformers: '5.18.0', datasets: '5.0.1', accelerate: '1.15.0', torch: '2.13.0' } as const;

/** TRL 1.x: the config field names the export writes are TRL 1.13's. */
export const TRL_REQUIREMENT = 'trl>=1.13,<2';

/** "trl 1.13.0, transformers 5.18.0, ..." for the READMEs. */
export function verifiedVersionsText(): string {
  return Object.entries(VERIFIED_VERSIONS).map(([name, version]) => `${name} ${version}`).join(', ');
}

export const REQUIREMENTS = `# Run for real (a CPU, a tiny random model, a few steps a stage) with ${verifiedVersionsText()}.
${TRL_REQUIREMENT}
transformers>=${VERIFIED_VERSIONS.transformers}
datasets>=${VERIFIED_VERSIONS.datasets}
accelerate>=${VERIFIED_VERSIONS.accelerate}
torch>=${VERIFIED_VERSIONS.torch}
`;
