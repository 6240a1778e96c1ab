import type { TenantSettings } from '../settings/settings.schemas.js';

export type MailKind = 'welcome' | 'welcome_set_password' | 'verify_email' | 'password_reset';

interface Template {
  subject: string;
  text: string;
}

/** Built-in templates; a tenant replaces any of them per locale in `mail.templates`. */
const builtin: Record<string, Record<MailKind, Template>> = {
  en: {
    welcome: {
      subject: 'Welcome to {{tenant}}',
      text: 'Hello {{name}},\n\nYour account at {{tenant}} is ready. You sign in as {{login}}.\n',
    },
    welcome_set_password: {
      subject: 'Welcome to {{tenant}}: choose your password',
      text: 'Hello {{name}},\n\nYour account at {{tenant}} is ready. You sign in as {{login}}.\nChoose your password with this link. It works once and until {{expires}}:\n\n{{link}}\n',
    },
    password_reset: {
      subject: 'Choose a new password for {{tenant}}',
      text: 'Hello {{name}},\n\nSomeone asked to reset the password of your account at {{tenant}} ({{login}}). If it was you, choose a new one with this link. It works once and until {{expires}}:\n\n{{link}}\n\nIf it was not you, ignore this mail: your password stays as it is.\n',
    },
    verify_email: {
      subject: 'Confirm your email address for {{tenant}}',
      text: 'Hello {{name}},\n\nPlease confirm that this is your email address. The link works once and until {{expires}}:\n\n{{link}}\n',
    },
  },
  fr: {
    welcome: {
      subject: 'Bienvenue chez {{tenant}}',
      text: 'Bonjour {{name}},\n\nVotre compte chez {{tenant}} est prêt. Votre identifiant : {{login}}.\n',
    },
    welcome_set_password: {
      subject: 'Bienvenue chez {{tenant}} : choisissez votre mot de passe',
      text: 'Bonjour {{name}},\n\nVotre compte chez {{tenant}} est prêt. Votre identifiant : {{login}}.\nChoisissez votre mot de passe avec ce lien, valable une fois jusqu’au {{expires}} :\n\n{{link}}\n',
    },
    password_reset: {
      subject: 'Choisissez un nouveau mot de passe pour {{tenant}}',
      text: 'Bonjour {{name}},\n\nQuelqu’un a demandé à réinitialiser le mot de passe de votre compte chez {{tenant}} ({{login}}). Si c’était vous, choisissez-en un nouveau avec ce lien, valable une fois jusqu’au {{expires}} :\n\n{{link}}\n\nSinon, ignorez ce message : votre mot de passe reste inchangé.\n',
    },
    verify_email: {
      subject: 'Confirmez votre adresse pour {{tenant}}',
      text: 'Bonjour {{name}},\n\nMerci de confirmer votre adresse. Ce lien est valable une fois jusqu’au {{expires}} :\n\n{{link}}\n',
    },
  },
};

/** The template for a locale: the tenant's, then built-in, for `de-CH`, then `de`, then `en`. */
function templateFor(settings: TenantSettings, locale: string, kind: MailKind): Template {
  const candidates = [locale, locale.split('-')[0] ?? locale, 'en'];
  for (const candidate of candidates) {
    const forLocale = settings.mail.templates[candidate] as Record<string, Template | undefined> | undefined;
    const own = forLocale?.[kind];
    if (own) return own;
  }
  for (const candidate of candidates) {
    const found = builtin[candidate]?.[kind];
    if (found) return found;
  }
  return builtin.en![kind];
}

export function renderMail(settings: TenantSettings, locale: string, kind: MailKind, values: Record<string, string>): Template {
  const template = templateFor(settings, locale, kind);
  const fill = (text: string) => text.replace(/\{\{(\w+)\}\}/g, (whole, name: string) => values[name] ?? whole);
  return { subject: fill(template.subject), text: fill(template.text) };
}
