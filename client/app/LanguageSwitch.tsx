// The UI language picker (English / 简体中文).

import { useId } from 'preact/hooks';
import { LANGUAGES, isLang, useI18n } from '../i18n';

export function LanguageSwitch() {
  const { lang, setLang, t } = useI18n();
  const id = useId();
  return (
    <div class="language-switch">
      <label for={id}>{t('language')}</label>
      <select
        id={id}
        value={lang}
        onChange={(e) => {
          const value = e.currentTarget.value;
          if (isLang(value)) setLang(value);
        }}
      >
        {LANGUAGES.map((l) => (
          <option key={l.code} value={l.code} lang={l.code}>
            {l.label}
          </option>
        ))}
      </select>
    </div>
  );
}
