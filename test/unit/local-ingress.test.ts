// The local provider's ingress rules (a cloud's security group on a local node): what is
// accepted, the iptables lines they become, and how they are read back from a node's tags.
// On real nodes: test/e2e/cloudstack-endpoint.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkIngress, encodeIngress, ingressLines, parseIngress } from '../../src/providers/local/ingress.ts';

test('rules become iptables lines: source CIDR, protocol, port or range, ICMP type/code', () => {
  const rules = checkIngress([
    { protocol: 'tcp', cidr: '0.0.0.0/0', startPort: 80, endPort: 80 },
    { protocol: 'tcp', cidr: '10.0.0.0/8', startPort: 8000, endPort: 8100 },
    { protocol: 'udp', cidr: '10.77.0.1/32', startPort: 53, endPort: 53 },
    { protocol: 'icmp', cidr: '0.0.0.0/0', icmpType: -1, icmpCode: -1 },
    { protocol: 'icmp', cidr: '192.168.0.0/16', icmpType: 8 },
    { protocol: 'icmp', cidr: '192.168.0.0/16', icmpType: 3, icmpCode: 4 },
    { protocol: 'all', cidr: '172.16.0.0/12' },
  ]);
  assert.deepEqual(ingressLines('FL-x', rules), [
    '-A FL-x -s 0.0.0.0/0 -p tcp --dport 80 -j ACCEPT',
    '-A FL-x -s 10.0.0.0/8 -p tcp --dport 8000:8100 -j ACCEPT',
    '-A FL-x -s 10.77.0.1/32 -p udp --dport 53 -j ACCEPT',
    '-A FL-x -s 0.0.0.0/0 -p icmp -j ACCEPT',
    '-A FL-x -s 192.168.0.0/16 -p icmp --icmp-type 8 -j ACCEPT',
    '-A FL-x -s 192.168.0.0/16 -p icmp --icmp-type 3/4 -j ACCEPT',
    '-A FL-x -s 172.16.0.0/12 -j ACCEPT',
  ]);
});

test('what iptables would misread is refused, naming the rule and field', () => {
  const bad: Array<[unknown, RegExp]> = [
    [{ protocol: 'tcp', cidr: '0.0.0.0/0 -j ACCEPT\n-A FORWARD', startPort: 1, endPort: 1 }, /0\.cidr: must be an IPv4 CIDR/],
    [{ protocol: 'tcp', cidr: '10.0.0.1', startPort: 1, endPort: 1 }, /must be an IPv4 CIDR/],
    [{ protocol: 'tcp', cidr: '010.0.0.0/8', startPort: 1, endPort: 1 }, /must be an IPv4 CIDR/],
    [{ protocol: 'tcp', cidr: '::/0', startPort: 1, endPort: 1 }, /must be an IPv4 CIDR/],
    [{ protocol: 'udp', cidr: '0.0.0.0/0', startPort: 90, endPort: 80 }, /startPort must not be after endPort/],
    [{ protocol: 'udp', cidr: '0.0.0.0/0', startPort: 0, endPort: 80 }, /0\.startPort/],
    [{ protocol: 'icmp', cidr: '0.0.0.0/0', icmpCode: 1 }, /an ICMP code needs an ICMP type/],
    [{ protocol: 'gre', cidr: '0.0.0.0/0' }, /0\.protocol/],
    [{ protocol: 'all', cidr: '0.0.0.0/0', startPort: 1 }, /0\.startPort: unknown field/],
  ];
  for (const [rule, message] of bad) assert.throws(() => checkIngress([rule]), (e: Error) => e.message.startsWith('local: ingress rules: ') && message.test(e.message), JSON.stringify(rule));
});

test('read back from tags: no tag is no rules (all ICMP open); an unreadable tag or entry closes rather than opens', () => {
  const rules = checkIngress([{ protocol: 'udp', cidr: '10.0.0.0/8', startPort: 53, endPort: 53 }]);
  assert.deepEqual(parseIngress(encodeIngress(rules)), rules);
  assert.equal(parseIngress(undefined), undefined);
  assert.deepEqual(parseIngress('not json'), []);
  assert.deepEqual(parseIngress(JSON.stringify([{ protocol: 'tcp', cidr: 'evil', startPort: 1, endPort: 1 }, ...rules])), rules);
});
