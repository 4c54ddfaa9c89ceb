import type { Mail } from '../../infra/mail/index.js';

/**
 * The e-mail that carries a developer's IDs and signing secret, in the lines the contract names. The body has no
 * line over 76 characters and no variable-length text (the names go in the subject), so that it travels as 7bit:
 * each credential stays whole on its line, also in a raw .eml file.
 */
export function credentialsMail(args: {
  to: string;
  developerId: string;
  applicationId: string;
  applicationName: string;
  webhookSecret: string;
}): Mail {
  return {
    to: args.to,
    subject: `Connected Cloud: your IDs for ${args.applicationName}`,
    text: [
      'Hello,',
      '',
      'your application is registered with Connected Cloud.',
      '',
      `Developer ID: ${args.developerId}`,
      `Application ID: ${args.applicationId}`,
      `Webhook signing secret: ${args.webhookSecret}`,
      '',
      'Use the webhook signing secret to verify the events that Connected',
      'Cloud sends to your notificationUrl (Standard Webhooks). Keep it',
      'secret: it is not shown again.',
      '',
      'Connected Cloud',
    ].join('\n'),
  };
}
