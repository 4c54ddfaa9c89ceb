import type { Mail } from '../../infra/mail/index.js';

/** The e-mail that carries a developer's IDs and signing secret; the lines are those the contract names. */
export function credentialsMail(args: {
  to: string;
  developerName: string;
  developerId: string;
  applicationId: string;
  applicationName: string;
  webhookSecret: string;
}): Mail {
  return {
    to: args.to,
    subject: `Connected Cloud: your IDs for ${args.applicationName}`,
    text: [
      `Hello ${args.developerName},`,
      '',
      `the application "${args.applicationName}" is registered with Connected Cloud.`,
      '',
      `Developer ID: ${args.developerId}`,
      `Application ID: ${args.applicationId}`,
      `Webhook signing secret: ${args.webhookSecret}`,
      '',
      'Use the webhook signing secret to verify the events sent to your notificationUrl (Standard Webhooks).',
      'Keep it secret: it is not shown again.',
      '',
      'Connected Cloud',
    ].join('\n'),
  };
}
