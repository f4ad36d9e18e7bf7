import { describe, expect, it } from 'vitest';
import { compareRecords, flattenConfig, isKeyFigure, lastValues, metricKeys } from '../../src/lib/runComparison.ts';

describe('run comparison tables', () => {
  it('flattens nested settings to dotted keys and short text', () => {
    const flat = flattenConfig({ learning_rate: 0.01, model: { n_layer: 2, n_embd: 48 }, tags: ['a', 'b'], on: true, gone: undefined, code: 'x'.repeat(200) });
    expect(flat.learning_rate).toBe('0.01');
    expect(flat['model.n_layer']).toBe('2');
    expect(flat.tags).toBe('["a","b"]');
    expect(flat.on).toBe('true');
    expect('gone' in flat).toBe(false);
    expect(flat.code).toHaveLength(80);
    expect(flat.code.endsWith('…')).toBe(true);
  });

  it('marks the rows where runs differ, a missing value included', () => {
    const rows = compareRecords([
      { learning_rate: '0.01', seed: '1' },
      { learning_rate: '0.003', seed: '1', beta: '0.1' },
    ]);
    expect(rows).toEqual([
      { key: 'learning_rate', values: ['0.01', '0.003'], differs: true },
      { key: 'seed', values: ['1', '1'], differs: false },
      { key: 'beta', values: [undefined, '0.1'], differs: true },
    ]);
  });

  it('lists the logged keys and each key figure’s last value', () => {
    const rows = [{ step: 1, loss: 3, 'eval/loss': 3.5 }, { step: 2, loss: 2 }, { step: 3, loss: Number.NaN }];
    expect(metricKeys(rows)).toEqual(['eval/loss', 'loss']);
    expect(lastValues(rows, ['loss', 'eval/loss', 'kl'])).toEqual({ loss: 2, 'eval/loss': 3.5 });
  });

  it('picks losses, rewards, gold scores, KL and accuracies as key figures', () => {
    for (const key of ['loss', 'eval/loss', 'nll_loss', 'reward', 'rewards/margins', 'gold/score_mean', 'objective/kl', 'kl', 'eval/accuracy', 'mean_token_accuracy']) {
      expect(isKeyFigure(key), key).toBe(true);
    }
    for (const key of ['learning_rate', 'tokens_per_second', 'kl_coef', 'perplexity', 'loss/value_avg']) expect(isKeyFigure(key), key).toBe(false);
  });
});
