/**
 * The services' request and response bodies, generated from their OpenAPI documents
 * (`npm run gen:api`, checked by `npm run check:api`): a changed API changes these types and
 * breaks the build where the page relies on what changed. Import the schemas from here.
 */
import type { components as EvaluationComponents } from "./generated/evaluation";
import type { components as GatewayComponents } from "./generated/gateway";
import type { components as StudioComponents } from "./generated/studio";

/** The gateway's own endpoints (presentations, the error shape). */
export type GatewaySchemas = GatewayComponents["schemas"];
/** The study service (evaluation/): the students' and the instructor's study endpoints. */
export type StudySchemas = EvaluationComponents["schemas"];
/** The model-studio service (services/studio/): models, data sets, jobs, publishing. */
export type StudioSchemas = StudioComponents["schemas"];

/**
 * A schema with some fields narrowed where the service documents a plain string but the page
 * knows the closed set (a study's step, a report's status): `Narrow<S, { step: Step }>`.
 * The narrowed field must stay assignable to the service's type, so a renamed or removed
 * field still breaks the build.
 */
export type Narrow<S, N extends { [K in keyof N]: K extends keyof S ? S[K] : never }> = Omit<
  S,
  keyof N
> &
  N;
