// The «Операторы» section's calls. There is no hard delete: DELETE /operators/{id} deactivates,
// exactly as PATCH {active: false} does, so the section uses the PATCH for both directions.
import { api, unwrap } from '../../shared/api/client';
import type { components } from '../../shared/api/schema';
import type { Operator } from '../../shared/api/types';

type S = components['schemas'];
export type CreateOperatorRequest = S['CreateOperatorRequest'];
export type OperatorPatch = S['UpdateOperatorRequest'];

export const listOperators = () => unwrap<Operator[]>(api.GET('/api/v1/operators'));
export const createOperator = (body: CreateOperatorRequest) => unwrap(api.POST('/api/v1/operators', { body }));
/** Deactivating or a new password ends the operator's sessions on the server at once. */
export const updateOperator = (id: number, body: OperatorPatch) => unwrap(api.PATCH('/api/v1/operators/{id}', { params: { path: { id } }, body }));
