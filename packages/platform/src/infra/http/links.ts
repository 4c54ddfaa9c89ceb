/**
 * The public URL of a resource, from its route in the contract's route table: the path of each URL is written
 * once, there, and services hand out links by route (`linkTo(publicUrl, routes.getTracking, { fileId })`).
 */
export function linkTo(publicUrl: string, route: { path: string }, params: Record<string, string>): string {
  return (
    publicUrl +
    route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
      const value = params[name];
      if (value === undefined) throw new Error(`no ${name} for ${route.path}`);
      return encodeURIComponent(value);
    })
  );
}
