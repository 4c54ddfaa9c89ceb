import { Type } from 'typebox';
import { Instance, InstanceCreated, InstanceInput, InstanceParams } from '../consent.js';
import { defineRoute, empty, json, stream } from './define.js';

/** The operator's routes (contract §9), behind the admin token. */
export const adminRoutes = {
  createInstance: defineRoute({
    operationId: 'createInstance',
    method: 'POST',
    path: '/api/admin/instances',
    tag: 'admin',
    auth: 'adminToken',
    summary: 'Provision an instance of an accounting product; its key is shown once',
    body: InstanceInput,
    responses: { 201: json(InstanceCreated, 'The instance and its key (shown once)') },
  }),
  listInstances: defineRoute({
    operationId: 'listInstances',
    method: 'GET',
    path: '/api/admin/instances',
    tag: 'admin',
    auth: 'adminToken',
    summary: 'The instances',
    responses: { 200: json(Type.Array(Instance), 'The instances') },
  }),
  deleteInstance: defineRoute({
    operationId: 'deleteInstance',
    method: 'DELETE',
    path: '/api/admin/instances/{instanceId}',
    tag: 'admin',
    auth: 'adminToken',
    summary: 'Delete an instance: its key stops working and its integrations are revoked',
    params: InstanceParams,
    responses: { 204: empty('Deleted') },
    problems: { 404: ['instance-not-found'] },
  }),
} as const;

const AnyObject = Type.Object({}, { additionalProperties: true });

/** Probes, metrics and the descriptions of the API (contract §9). */
export const operationRoutes = {
  getHealth: defineRoute({
    operationId: 'getHealth',
    method: 'GET',
    path: '/health',
    tag: 'operations',
    auth: 'none',
    summary: 'The process is alive',
    responses: { 200: json(Type.Object({ status: Type.Literal('ok') }), 'Alive') },
  }),
  getReadiness: defineRoute({
    operationId: 'getReadiness',
    method: 'GET',
    path: '/ready',
    tag: 'operations',
    auth: 'none',
    summary: 'The platform has started, and the store and the file storage are reachable',
    description: '503 not-ready with Retry-After while the platform is starting (the API answers the same meanwhile).',
    responses: { 200: json(Type.Object({ status: Type.Literal('ready') }), 'Ready') },
    problems: { 503: ['not-ready'] },
  }),
  getMetrics: defineRoute({
    operationId: 'getMetrics',
    method: 'GET',
    path: '/metrics',
    tag: 'operations',
    auth: 'none',
    summary:
      'Prometheus metrics: the process, HTTP requests by route, webhook attempts, the job queue, uploads by status',
    responses: { 200: stream('text/plain', Type.String(), 'Prometheus text format') },
  }),
  getOpenApi: defineRoute({
    operationId: 'getOpenApi',
    method: 'GET',
    path: '/openapi.json',
    tag: 'operations',
    auth: 'none',
    summary: 'This OpenAPI 3.1 document',
    responses: { 200: json(AnyObject, 'The OpenAPI document') },
  }),
  getPostmanCollection: defineRoute({
    operationId: 'getPostmanCollection',
    method: 'GET',
    path: '/postman.json',
    tag: 'operations',
    auth: 'none',
    summary: 'A Postman collection of this API that follows the guide, step by step',
    responses: { 200: json(AnyObject, 'A Postman collection (v2.1)') },
  }),
} as const;
