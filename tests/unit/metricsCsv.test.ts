import { describe, expect, it } from 'vitest';
import { csvField, metricsCsv, seriesOf, tableCsv } from '../../src/lib/metricsCsv.ts';

describe('metricsCsv', () => {
  it('writes a header and one row per step, empty cells where a series did not log', () => {
    const train = { name: 'train loss', values: new Map([[0, 2.5], [2, 1.25]]) };
    const evalLoss = { name: 'eval loss', values: new Map([[2, 1.5], [4, 1]]) };
    expect(metricsCsv([train, evalLoss])).toBe('step,train loss,eval loss\r\n0,2.5,\r\n2,1.25,1.5\r\n4,,1\r\n');
  });

  it('sorts the steps numerically', () => {
    const s = { name: 'kl', values: new Map([[10, 1], [9, 2], [100, 3]]) };
    expect(metricsCsv([s])).toBe('step,kl\r\n9,2\r\n10,1\r\n100,3\r\n');
  });

  it('quotes headers holding commas, quotes, line breaks or edge spaces', () => {
    expect(csvField('plain name')).toBe('plain name');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(' padded')).toBe('" padded"');
    const s = { name: '#1 run "a", lr=0.01', values: new Map([[1, 0.5]]) };
    expect(metricsCsv([s])).toBe('step,"#1 run ""a"", lr=0.01"\r\n1,0.5\r\n');
  });

  it('writes only the header when nothing was logged', () => {
    expect(metricsCsv([{ name: 'loss', values: new Map() }])).toBe('step,loss\r\n');
  });

  it('takes the finite values of one key from metric rows', () => {
    const rows = [{ step: 0, loss: 3 }, { step: 1 }, { step: 2, loss: Number.NaN }, { step: 3, loss: 1 }];
    expect([...seriesOf('loss', rows, 'loss').values]).toEqual([[0, 3], [3, 1]]);
  });

  it('writes a table of points (charts whose x is not the step), quoting names', () => {
    expect(tableCsv(['run', 'objective/kl', 'gold/score_mean'], [['#3 Sweep beta = 0.1 · DPO, run', 1.5, 0.25], ['#4', 0, -1]])).toBe(
      'run,objective/kl,gold/score_mean\r\n"#3 Sweep beta = 0.1 · DPO, run",1.5,0.25\r\n#4,0,-1\r\n',
    );
  });
});
