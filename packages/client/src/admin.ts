import type {
  Instance as InstanceSchema,
  InstanceCreated,
  InstanceInput as InstanceInputSchema,
} from '@connected-cloud/contract';
import type { Static } from 'typebox';
import { Transport, operation, type TransportOptions } from './transport.js';

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
    create: (input: InstanceInput): Promise<InstanceCreated> =>
      this.transport.json(operation('createInstance', undefined, { json: input, headers: this.#headers })),
    list: (): Promise<Instance[]> =>
      this.transport.json(operation('listInstances', undefined, { headers: this.#headers })),
    delete: async (instanceId: string): Promise<void> => {
      await this.transport.send(operation('deleteInstance', { instanceId }, { headers: this.#headers }));
    },
  };
}
