// The mailer every part of the server sends through: invitations, password resets, notices.
// With SMTP_URL unset it sends nothing (and says so through `enabled`), so callers need no
// branch of their own. nodemailer speaks SMTP; the transport is made on the first mail, so a
// server without mail never loads it.
//
// A mail that cannot be delivered never fails the action that caused it (the link is still
// returned to the ADMIN who asked, and a person asking for a reset must not learn anything
// from an error): `send` logs the failure and answers false.
import type { Transporter } from "nodemailer";
import type { Config } from "../config/index.ts";
import type { MailContent } from "./templates.ts";

export interface MailMessage extends MailContent {
  to: string;
}

export interface MailLog {
  error(details: object, message: string): void;
}

export class Mailer {
  readonly #smtpUrl: string | undefined;
  readonly #from: string;
  #transport: Promise<Transporter> | null = null;
  #log: MailLog = { error: () => undefined };
  /** Mails being sent: close() waits for them, so a test or a shutdown does not cut one off. */
  #pending = new Set<Promise<boolean>>();

  constructor(config: Pick<Config, "mail">) {
    this.#smtpUrl = config.mail.smtpUrl;
    this.#from = config.mail.from;
  }

  /** False without SMTP_URL: nothing is mailed. */
  get enabled(): boolean {
    return this.#smtpUrl !== undefined;
  }

  /** Where failures are reported (the server's logger, once it exists). */
  useLog(log: MailLog): void {
    this.#log = log;
  }

  /**
   * Sends one mail; true when the SMTP server accepted it. Never throws. Callers that must not
   * wait (an answer that would otherwise take longer for a known address) simply do not await.
   */
  send(message: MailMessage): Promise<boolean> {
    if (!this.#smtpUrl) return Promise.resolve(false);
    const sending = this.#deliver(message).finally(() => this.#pending.delete(sending));
    this.#pending.add(sending);
    return sending;
  }

  async #deliver(message: MailMessage): Promise<boolean> {
    try {
      const transport = await this.#transportOnce();
      await transport.sendMail({ from: this.#from, to: message.to, subject: message.subject, text: message.text, html: message.html });
      return true;
    } catch (err) {
      // The recipient and the subject help an operator; the body (a one-time link) never appears.
      this.#log.error({ to: message.to, subject: message.subject, reason: err instanceof Error ? err.message : String(err) }, "mail not sent");
      return false;
    }
  }

  #transportOnce(): Promise<Transporter> {
    this.#transport ??= import("nodemailer").then((nodemailer) =>
      nodemailer.default.createTransport({
        url: this.#smtpUrl!,
        // A mail server that does not answer must not hold a request's background work for minutes.
        connectionTimeout: 10_000,
        greetingTimeout: 10_000,
        socketTimeout: 20_000,
      }),
    );
    return this.#transport;
  }

  /** Waits for mails in flight, then closes the SMTP connection. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.#pending]);
    if (this.#transport) (await this.#transport).close();
  }
}
