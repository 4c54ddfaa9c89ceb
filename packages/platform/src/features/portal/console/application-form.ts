import type { SolutionSummary } from '@connected-cloud/contract';
import { ProblemError } from '../../../infra/http/problem.js';
import { esc } from '../../../infra/http/pages/index.js';
import * as p from '../pages.js';
import { field } from './shared.js';

export type ApplicationValues = {
  name?: string;
  description?: string | null;
  notificationUrl?: string;
  solution?: string;
};

/** The form that creates an application (`isNew`, with its solution) or edits one. */
export function applicationForm(
  solutions: SolutionSummary[],
  csrf: string,
  action: string,
  values: ApplicationValues,
  isNew: boolean,
  error?: string,
): string {
  const options = solutions
    .map(
      (s) =>
        `<option value="${esc(s.domain)}"${s.domain === values.solution ? ' selected' : ''}>${esc(s.title)} (${esc(s.domain)})</option>`,
    )
    .join('');
  return `${error ? p.notice(esc(error), 'error') : ''}<form method="post" action="${esc(action)}">${p.hidden(csrf)}
<label for="name">Name</label><input id="name" name="name" type="text" required maxlength="120" value="${esc(values.name)}">
<label for="description">Description</label><textarea id="description" name="description" maxlength="1000">${esc(values.description)}</textarea>
${isNew ? `<label for="solution">Solution</label><select id="solution" name="solution">${options}</select>` : ''}
<label for="notificationUrl">Notification URL</label>
<input id="notificationUrl" name="notificationUrl" type="url" required maxlength="2048" value="${esc(values.notificationUrl)}" aria-describedby="url-hint">
<p class="hint" id="url-hint">An absolute https URL that receives the events. A new one also receives the next API keys.</p>
<div class="actions"><button type="submit">${isNew ? 'Create application' : 'Save changes'}</button></div></form>`;
}

/** The fields both forms post, trimmed. */
export const applicationInput = (body: unknown) => ({
  name: (field(body, 'name', 120) ?? '').trim(),
  description: (field(body, 'description', 1000) ?? '').trim(),
  notificationUrl: (field(body, 'notificationUrl') ?? '').trim(),
});

/** Reads a problem from the rules of registration into one sentence for the form; any other error is rethrown. */
export const problemText = (error: unknown) => {
  if (error instanceof ProblemError && error.status === 400)
    return error.errors?.map((e) => `${e.pointer.replace(/^\//, '')} ${e.message}`).join('; ') || error.detail;
  throw error;
};
