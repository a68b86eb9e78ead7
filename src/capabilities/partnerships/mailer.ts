import type { FastifyBaseLogger } from 'fastify';

/**
 * Sending email, kept behind one small interface so the way mail leaves Patchwork (SMTP, a provider's API)
 * can be chosen by configuration later without touching what sends it. Until then the log mailer is the
 * only one: in development and tests it writes each message to the app log, where a developer can read it.
 */
export type MailMessage = { to: string; subject: string; text: string };

export interface Mailer {
  send(message: MailMessage): Promise<void>;
}

export function logMailer(log: Pick<FastifyBaseLogger, 'info'>): Mailer {
  return {
    async send(message) {
      log.info({ mail: message }, `Email to ${message.to}: ${message.subject}`);
    },
  };
}
