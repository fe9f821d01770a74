import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { errorText } from '../client/app/errorText';
import { en } from '../client/i18n/en';
import { zhCN } from '../client/i18n/zh-CN';
import { translator } from '../client/i18n/index';
import { ChatError } from '../shared/errors';

test('both languages have the same keys and the same placeholders', () => {
  assert.equal(Object.keys(zhCN).sort(), Object.keys(en).sort());
  const placeholders = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
  for (const key of Object.keys(en) as (keyof typeof en)[]) assert.equal(placeholders(zhCN[key]), placeholders(en[key]), key);
});

test('server errors a user can meet get a sentence of their own, not the generic one', () => {
  for (const lang of ['en', 'zh-CN'] as const) {
    const t = translator(lang);
    const generic = t('err.generic', { message: 'x' });
    for (const code of ['STORE_UNAVAILABLE', 'BUSY', 'LOGIN_THROTTLED', 'USERNAME_TAKEN', 'RATE_LIMITED'] as const) {
      const text = errorText(t, new ChatError(code, 'x'));
      assert.ok(text !== generic && !text.includes('{'), `${lang} ${code}: ${text}`);
    }
    const capped = errorText(t, new ChatError('RATE_LIMITED', 'x', { retryAfterSeconds: 1_790 }));
    assert.ok(capped.includes('30') && capped !== errorText(t, new ChatError('RATE_LIMITED', 'x')), `${lang} registration cap: ${capped}`);
  }
});

test.run();
