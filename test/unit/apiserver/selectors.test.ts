import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Catalogue } from '../../../src/api/catalogue.js';
import { parseFieldSelector } from '../../../src/apiserver/selectors/fields.js';
import { parseLabelSelector, SelectorError } from '../../../src/apiserver/selectors/labels.js';

const labels = { app: 'web', tier: 'front', version: '3' };

test('label selectors: =, ==, !=, in, notin, exists, !, and numeric comparisons', () => {
  const yes = ['app=web', 'app==web', 'app!=db', 'tier in (front,back)', 'tier notin (back)', 'app', '!missing', 'version>2', 'version<4', 'app=web,tier=front', ''];
  const no = ['app=db', 'app!=web', 'tier in (back)', 'tier notin (front)', 'missing', '!app', 'version>3', 'app=web,tier=back'];
  for (const s of yes) assert.equal(parseLabelSelector(s).matches(labels), true, s);
  for (const s of no) assert.equal(parseLabelSelector(s).matches(labels), false, s);
  assert.equal(parseLabelSelector('missing!=x').matches(labels), true);
});

test('malformed label selectors are rejected with a reason', () => {
  for (const bad of ['app=', 'a b c', 'app in (x', '=x', 'app=web,', 'bad key!=x y']) {
    if (bad === 'app=') {
      // An empty value is allowed upstream ("app=" selects app with an empty value).
      assert.equal(parseLabelSelector(bad).matches({ app: '' }), true);
      continue;
    }
    assert.throws(() => parseLabelSelector(bad), SelectorError, bad);
  }
});

test('field selectors: metadata fields and the kind\'s own, with escapes; unknown fields refused', () => {
  const catalogue = new Catalogue();
  const pods = catalogue.lookup('', 'v1', 'pods')!;
  const pod = { metadata: { name: 'p,1', namespace: 'ns' }, spec: { nodeName: 'n1' }, status: { phase: 'Running' } };
  assert.equal(parseFieldSelector('metadata.name=p\\,1', pods).matches(pod), true);
  assert.equal(parseFieldSelector('spec.nodeName=n1,status.phase!=Pending', pods).matches(pod), true);
  assert.equal(parseFieldSelector('spec.nodeName=', pods).matches(pod), false);
  assert.equal(parseFieldSelector('metadata.namespace==ns', pods).exact('metadata.namespace'), 'ns');
  assert.throws(() => parseFieldSelector('spec.image=x', pods), /field label not supported: spec\.image/);
  const cms = catalogue.lookup('', 'v1', 'configmaps')!;
  assert.throws(() => parseFieldSelector('data.k=v', cms), SelectorError);
});
