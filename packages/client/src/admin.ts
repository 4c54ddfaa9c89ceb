import type { Instance as InstanceSchema, InstanceCreated, InstanceInput as InstanceInputSchema } from '@connected-cloud/contract';
import type { Static } from 'typebox';
import { Transport, type TransportOptions } from './transport.js';

export type Instance = Static<typeof InstanceSchema>;
export type InstanceInput = Static<typeof InstanceInputSchema>;

/** The operator's side (contract §9), with the admin token. */
export class ConnectedCloudAdmin {
  readonly transport: Transport;
  readonly #headers: Record<string, string>;

  constructor(opts: TransportOptions & { adminToken: string }) {
    const { adminToken, ...transport } = opts;
    this.transport = new Transport(transport);
    this.#headers = { authorization: `Bearer ${adminToken}` };
  }

  readonly instances = {
    /** Provisions an instance of an accounting product; its `instanceKey` is shown this once. */
    create: (input: InstanceInput): Promise<InstanceCreated> => this.transport.json({ method: 'POST', path: '/api/admin/instances', json: input, headers: this.#headers }),
    list: (): Promise<Instance[]> => this.transport.json({ method: 'GET', path: '/api/admin/instances', headers: this.#headers }),
    delete: async (instanceId: string): Promise<void> => {
      await this.transport.send({ method: 'DELETE', path: `/api/admin/instances/${encodeURIComponent(instanceId)}`, headers: this.#headers });
    },
  };
}
