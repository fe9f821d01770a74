// A labelled form field with an optional hint and inline problem (linked by aria-describedby).

import { useId } from 'preact/hooks';

interface FieldProps {
  label: string;
  value: string;
  onInput: (value: string) => void;
  type?: 'text' | 'password';
  multiline?: boolean;
  autoComplete?: string;
  hint?: string;
  problem?: string | null;
  onBlur?: () => void;
  required?: boolean;
}

export function Field({ label, value, onInput, type = 'text', multiline, autoComplete, hint, problem, onBlur, required }: FieldProps) {
  const id = useId();
  const describedBy = [hint ? `${id}-hint` : '', problem ? `${id}-problem` : ''].filter(Boolean).join(' ') || undefined;
  const common = {
    id,
    value,
    onBlur,
    'aria-describedby': describedBy,
    'aria-invalid': problem ? true : undefined,
    'aria-required': required ? true : undefined,
  };
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {multiline ? (
        <textarea {...common} rows={3} onInput={(e) => onInput(e.currentTarget.value)} />
      ) : (
        <input
          {...common}
          // Preact's typings tie `role` to the input type; both types here take the same props.
          type={type as 'text'}
          autoComplete={autoComplete}
          autoCapitalize="off"
          spellcheck={false}
          onInput={(e) => onInput(e.currentTarget.value)}
        />
      )}
      {hint && (
        <small id={`${id}-hint`} class="hint">
          {hint}
        </small>
      )}
      {problem && (
        <small id={`${id}-problem`} class="problem">
          {problem}
        </small>
      )}
    </div>
  );
}
