import { api, ApiError, type Session } from './api.js';
import { h, mount } from './dom.js';

/**
 * Sign-in with a password (tenant, email or username) or with an API key. Either way the server
 * answers with an HttpOnly cookie; the page never holds the credential after sending it.
 */
export function signInView(root: HTMLElement, onSignedIn: (session: Session) => Promise<void>): void {
  const error = h('p', { class: 'notice error', role: 'alert', hidden: true, id: 'sign-in-error' });
  const tenant = h('input', {
    id: 'tenant',
    name: 'tenant',
    autocomplete: 'organization',
    required: true,
    'aria-describedby': 'sign-in-error',
  });
  const login = h('input', { id: 'login', name: 'login', autocomplete: 'username', required: true, 'aria-describedby': 'sign-in-error' });
  const password = h('input', {
    id: 'password',
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
    'aria-describedby': 'sign-in-error',
  });
  const apiKey = h('input', {
    id: 'api-key',
    name: 'apiKey',
    type: 'password',
    autocomplete: 'off',
    required: true,
    'aria-describedby': 'sign-in-error',
  });

  const submit = (body: () => Record<string, string>, first: HTMLInputElement) => async (event: Event) => {
    event.preventDefault();
    error.hidden = true;
    const button = (event.target as HTMLFormElement).querySelector('button');
    button?.setAttribute('disabled', '');
    try {
      const session = await api.request<Session>('POST', '/v1/browser-sessions', { body: body() });
      password.value = '';
      apiKey.value = '';
      await onSignedIn(session);
    } catch (e) {
      error.textContent =
        e instanceof ApiError ? e.problem.errors?.map((x) => `${x.path.slice(1)}: ${x.message}`).join('. ') || e.message : String(e);
      error.hidden = false;
      first.focus();
    } finally {
      button?.removeAttribute('disabled');
    }
  };

  const passwordForm = h(
    'form',
    { id: 'password-sign-in', onsubmit: submit(() => ({ tenant: tenant.value, login: login.value, password: password.value }), login) },
    h('h2', {}, 'With your account'),
    h('div', { class: 'field' }, h('label', { for: 'tenant' }, 'Tenant'), tenant),
    h('div', { class: 'field' }, h('label', { for: 'login' }, 'Email or username'), login),
    h('div', { class: 'field' }, h('label', { for: 'password' }, 'Password'), password),
    h('button', { type: 'submit' }, 'Sign in'),
  );
  const keyForm = h(
    'form',
    { id: 'key-sign-in', onsubmit: submit(() => ({ apiKey: apiKey.value }), apiKey) },
    h('h2', {}, 'With an API key'),
    h('div', { class: 'field' }, h('label', { for: 'api-key' }, 'API key'), apiKey),
    h('button', { type: 'submit' }, 'Sign in with key'),
  );

  mount(
    root,
    h('main', { id: 'main', class: 'sign-in' }, h('h1', {}, 'Roster admin'), error, h('div', { class: 'columns' }, passwordForm, keyForm)),
  );
  tenant.focus();
}
