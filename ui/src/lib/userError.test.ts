import { describe, expect, test } from 'vitest';
import { createErrorAlert } from '../components/errorAlert';
import { asUserError, shownError } from './userError';

describe('user errors', () => {
  test('a UserError shows its sentence, its advice and its code; anything else the fallback', () => {
    expect(shownError({ code: 'api.not_connected', message: 'WhatConverts is not connected.', advice: 'Click Connect first.' }, 'Fallback.'))
      .toEqual({ message: 'WhatConverts is not connected.', advice: 'Click Connect first.', code: 'api.not_connected' });
    expect(shownError(new Error('TypeError at foo.rs:12'), 'Fallback.')).toEqual({ message: 'Fallback.', advice: null, code: null });
    expect(shownError('cache: disk I/O error', 'Fallback.')).toEqual({ message: 'Fallback.', advice: null, code: null });
    expect(shownError({ code: 'app.internal', message: ' ', advice: 'x' }, 'Fallback.').message).toBe('Fallback.');
    expect(asUserError({ code: 'api.http', message: 'WhatConverts is having trouble right now.' })?.advice).toBe('');
  });

  test('the alert puts the advice on its own line and clears both', () => {
    const alert = createErrorAlert();
    alert.showError({ code: 'vault.locked', message: 'Your keychain is locked.', advice: 'Unlock it and try again.' }, 'Fallback.');
    expect(alert.el.hidden).toBe(false);
    expect(alert.el.dataset.code).toBe('vault.locked');
    expect([...alert.el.querySelectorAll('p')].map((p) => [p.className, p.textContent])).toEqual([
      ['error-message', 'Your keychain is locked.'],
      ['error-advice', 'Unlock it and try again.'],
    ]);
    alert.show('Paste your WhatConverts API token first.');
    expect(alert.el.textContent).toBe('Paste your WhatConverts API token first.');
    expect(alert.el.dataset.code).toBeUndefined();
    alert.show(null);
    expect(alert.el.hidden).toBe(true);
    expect(alert.el.textContent).toBe('');
  });
});
