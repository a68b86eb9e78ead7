import { nationalSteps, runNationalBench } from './support/national.ts';
await runNationalBench<{}>({
  name: 'assets', heading: '## Community assets (issue 6)', script: import.meta.url,
  neededSteps: [...nationalSteps, 'centroids.lsoa11'],
  names: { scratch: 'run-assets', results: 'results-assets', copy: 'assets' }, quick: true,
  measure: async () => {}, results: () => ({}), merge() {}, report: () => 'stub',
});
