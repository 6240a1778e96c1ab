import { simpleParser } from 'mailparser';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  from: string;
  fromAddress: string;
  to: string;
  subject: string;
  text: string;
}

export interface SmtpSink {
  url: string;
  received: ReceivedMail[];
  /** The first mail to `address` once it has arrived (polled, bounded). */
  mailTo(address: string, match?: (mail: ReceivedMail) => boolean): Promise<ReceivedMail>;
  close(): Promise<void>;
}

/** A real SMTP server on loopback that keeps every message it accepts: how tests read mailed links. */
export async function startSmtpSink(): Promise<SmtpSink> {
  const received: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((mail) => {
          const to = Array.isArray(mail.to) ? mail.to[0] : mail.to;
          received.push({
            from: mail.from?.text ?? '',
            fromAddress: mail.from?.value[0]?.address ?? '',
            to: String(to?.text ?? ''),
            subject: mail.subject ?? '',
            text: mail.text ?? '',
          });
          callback();
        })
        .catch(callback);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  const mailTo = async (address: string, match: (mail: ReceivedMail) => boolean = () => true) => {
    const end = Date.now() + 10_000;
    for (;;) {
      const found = received.find((m) => m.to.includes(address) && match(m));
      if (found) return found;
      if (Date.now() > end) throw new Error(`no mail to ${address} arrived`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { url: `smtp://127.0.0.1:${port}`, received, mailTo, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** The token of the first mailed link in a text. */
export const linkTokenIn = (text: string): string => {
  const token = /token=([A-Za-z0-9]+)/.exec(text)?.[1];
  if (!token) throw new Error(`no live link in: ${text}`);
  return token;
};
