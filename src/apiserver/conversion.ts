/**
 * Resources served in one version but stored in another: events.k8s.io/v1 Events live as core
 * v1 Events (upstream stores both in /registry/events). Reads convert stored objects out, writes
 * convert bodies in; selectors and keys work on the stored form.
 */
import type { Catalogue } from '../api/catalogue.js';
import type { KubeObject, ResourceInfo } from '../api/types.js';

export interface VersionConverter {
  /** The resource objects are stored (and selected) as. */
  readonly storage: ResourceInfo;
  toStorage(object: KubeObject): KubeObject;
  fromStorage(object: KubeObject): KubeObject;
}

function defined(entries: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(entries).filter(([, v]) => v !== undefined));
}

type Obj = Record<string, unknown>;

const eventsV1 = (storage: ResourceInfo): VersionConverter => ({
  storage,
  fromStorage(o) {
    const source = (o['source'] ?? undefined) as Obj | undefined;
    return defined({
      kind: 'Event',
      apiVersion: 'events.k8s.io/v1',
      metadata: o.metadata,
      eventTime: o['eventTime'] ?? null,
      series: o['series'],
      reportingController: o['reportingComponent'] ?? source?.['component'],
      reportingInstance: o['reportingInstance'] ?? source?.['host'],
      action: o['action'],
      reason: o['reason'],
      regarding: o['involvedObject'],
      related: o['related'],
      note: o['message'],
      type: o['type'],
      deprecatedSource: source,
      deprecatedFirstTimestamp: o['firstTimestamp'],
      deprecatedLastTimestamp: o['lastTimestamp'],
      deprecatedCount: o['count'],
    }) as KubeObject;
  },
  toStorage(o) {
    return defined({
      kind: 'Event',
      apiVersion: 'v1',
      metadata: o.metadata,
      eventTime: o['eventTime'],
      series: o['series'],
      reportingComponent: o['reportingController'],
      reportingInstance: o['reportingInstance'],
      action: o['action'],
      reason: o['reason'],
      involvedObject: o['regarding'] ?? {},
      related: o['related'],
      message: o['note'],
      type: o['type'],
      source: o['deprecatedSource'],
      firstTimestamp: o['deprecatedFirstTimestamp'],
      lastTimestamp: o['deprecatedLastTimestamp'],
      count: o['deprecatedCount'],
    }) as KubeObject;
  },
});

export function converterFor(info: ResourceInfo, catalogue: Catalogue): VersionConverter | undefined {
  if (info.group === 'events.k8s.io' && info.kind === 'Event') {
    const storage = catalogue.lookup('', 'v1', 'events');
    return storage ? eventsV1(storage) : undefined;
  }
  return undefined;
}
