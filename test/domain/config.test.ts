import { expect } from 'chai';
import { readEnv } from '../../src/config';

describe('configuration', () => {
  it('names every missing variable at once', () => {
    expect(() => readEnv({ TABLE_NAME: 't', MAC_SECRET_ID: '  ' }, ['TABLE_NAME', 'TOKEN_KEY_ID', 'MAC_SECRET_ID'])).to.throw(
      'Missing environment variables: TOKEN_KEY_ID, MAC_SECRET_ID',
    );
  });

  it('returns required and present optional values, trimmed', () => {
    expect(readEnv({ A: ' a ', B: 'b' }, ['A'], ['B', 'C'])).to.deep.equal({ A: 'a', B: 'b' });
  });
});
