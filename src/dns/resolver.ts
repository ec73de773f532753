/**
 * One DNS question answered, whatever the transport: the cluster zone first (authoritative),
 * then the custom hosts entries, then the host's resolvers. CNAMEs the cluster answers
 * (ExternalName Services) are chased, so a stub resolver gets the address too, as CoreDNS does.
 */
import type { HostsTable } from './hosts.js';
import type { ClusterZone, ZoneAnswer } from './records.js';
import type { Forwarder } from './upstream.js';
import { CLASS_IN, decode, encode, encodeForUdp, optRecord, query, RCODE, TYPE, udpLimit, WireError, type Message, type ResourceRecord } from './wire.js';

const MAX_CNAME_HOPS = 8;
/** What we advertise with EDNS(0): the size that avoids IP fragmentation (DNS flag day 2020). */
const OUR_UDP_SIZE = 1232;

export interface Sources {
  readonly zone: () => ClusterZone;
  readonly hosts: () => HostsTable;
  readonly forwarder: Forwarder;
}

export type Transport = 'udp' | 'tcp';

/** How a query was answered, for metrics and tests. */
export type Outcome = 'cluster' | 'hosts' | 'forwarded' | 'error';

export class Resolver {
  constructor(private readonly sources: Sources) {}

  /** The wire answer to a wire query; undefined when the input is not worth answering. */
  async answer(raw: Buffer, transport: Transport): Promise<{ response: Buffer; outcome: Outcome } | undefined> {
    let request: Message;
    try {
      request = decode(raw);
    } catch (err) {
      // A header we can read gets FORMERR; anything shorter is noise.
      if (!(err instanceof WireError) || raw.length < 12) return undefined;
      return { response: encode(reply(headerOnly(raw), RCODE.FORMERR)), outcome: 'error' };
    }
    if (request.response) return undefined;
    if (request.opcode !== 0) return { response: encode(reply(request, RCODE.NOTIMP)), outcome: 'error' };
    const question = request.questions[0];
    if (request.questions.length !== 1 || !question) return { response: encode(reply(request, RCODE.FORMERR)), outcome: 'error' };
    if (question.class !== CLASS_IN) return { response: encode(reply(request, RCODE.REFUSED)), outcome: 'error' };

    const local = this.local(question.name, question.type);
    if (local.answer.kind === 'not-mine') {
      const forwarded = await this.sources.forwarder.forward(raw, transport);
      return { response: forwarded ?? encode(reply(request, RCODE.SERVFAIL)), outcome: forwarded ? 'forwarded' : 'error' };
    }
    let { rcode } = local.answer;
    const answers = [...local.answer.answers];
    let authorities: readonly ResourceRecord[] = local.answer.authorities;
    const additionals = [...local.answer.additionals];
    let target = local.answer.cname;
    for (let hop = 0; target !== undefined && hop < MAX_CNAME_HOPS; hop++) {
      const next = this.local(target, question.type).answer;
      if (next.kind === 'records') {
        answers.push(...next.answers);
        additionals.push(...next.additionals);
        ({ rcode, authorities } = next);
        target = next.cname;
        continue;
      }
      const upstream = await this.forwardQuestion(target, question.type);
      if (upstream) {
        answers.push(...upstream.answers);
        rcode = upstream.rcode;
        authorities = upstream.authorities;
      }
      target = undefined;
    }
    const response: Message = {
      ...reply(request, rcode),
      authoritative: true,
      answers,
      authorities,
      additionals: withOpt(request, additionals),
    };
    return { response: transport === 'udp' ? encodeForUdp(response, udpLimit(request)) : encode(response), outcome: local.source };
  }

  private local(name: string, type: number): { answer: ZoneAnswer; source: Outcome } {
    const zone = this.sources.zone().lookup(name, type);
    if (zone.kind === 'records') return { answer: zone, source: 'cluster' };
    return { answer: this.sources.hosts().lookup(name, type), source: 'hosts' };
  }

  private async forwardQuestion(name: string, type: number): Promise<Message | undefined> {
    const id = Math.floor(Math.random() * 0x10000);
    const raw = await this.sources.forwarder.forward(encode(query(id, name, type, { udpSize: OUR_UDP_SIZE })), 'udp');
    if (!raw) return undefined;
    try {
      return decode(raw);
    } catch {
      return undefined;
    }
  }
}

function headerOnly(raw: Buffer): Message {
  return { ...query(raw.readUInt16BE(0), '', TYPE.A), questions: [], recursionDesired: (raw.readUInt16BE(2) & 0x0100) !== 0 };
}

function reply(request: Message, rcode: number): Message {
  return {
    id: request.id,
    response: true,
    opcode: request.opcode,
    authoritative: false,
    truncated: false,
    recursionDesired: request.recursionDesired,
    recursionAvailable: true,
    rcode,
    questions: request.questions,
    answers: [],
    authorities: [],
    additionals: withOpt(request, []),
  };
}

/** An EDNS(0) requester gets our OPT back (RFC 6891 6.1.1); others get none. */
function withOpt(request: Message, additionals: ResourceRecord[]): ResourceRecord[] {
  const asked = request.additionals.some((r) => r.data.type === TYPE.OPT);
  return asked ? [...additionals, optRecord(OUR_UDP_SIZE)] : additionals;
}
