package charts

import (
	"slices"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chartutil"
)

// sharedSchemaRejects are values both charts' schemas refuse: unknown keys,
// and the keys the charts share (image, imagePullSecrets, resources,
// serviceMonitor).
var sharedSchemaRejects = []schemaCase{
	{"unknown top-level key", "replicas: 2", []string{"at '': additional properties 'replicas' not allowed"}},
	{"image as string", "image: ghcr.io/ctlproject/ctl:v1", []string{"at '/image'", "got string, want object"}},
	{"image tag with colon", "image: {tag: 'v1:latest'}", []string{"at '/image/tag'", "does not match pattern"}},
	{"image pull policy", "image: {pullPolicy: Sometimes}", []string{"at '/image/pullPolicy'", "Always", "IfNotPresent", "Never"}},
	{"imagePullSecrets as strings", "imagePullSecrets: [regcred]", []string{"at '/imagePullSecrets/0'", "got string, want object"}},
	{"resources unknown key", "resources: {request: {cpu: 1}}", []string{"at '/resources'", "'request' not allowed"}},
	{"resources bad quantity", "resources: {limits: {memory: lots}}", []string{"at '/resources/limits/memory'"}},
	{"serviceMonitor enabled as string", `serviceMonitor: {enabled: "true"}`, []string{"at '/serviceMonitor/enabled'", "got string, want boolean"}},
	{"serviceMonitor interval", "serviceMonitor: {interval: soon}", []string{"at '/serviceMonitor/interval'", "does not match pattern"}},
	{"serviceMonitor label value not a string", "serviceMonitor: {labels: {release: 1}}", []string{"at '/serviceMonitor/labels/release'", "got number, want string"}},
}

// sharedSchemaAccepts are values both charts' schemas must pass.
var sharedSchemaAccepts = []string{
	"",
	"image: {tag: v1.2.3-rc.1}",
	"image: {tag: sha256:" + strings.Repeat("ab", 32) + "}",
	"imagePullSecrets: [{name: regcred}]",
	"resources: {requests: {cpu: 0.5, memory: 1Gi}, limits: {cpu: '2', memory: 1e9}}",
	"global: {imageRegistry: example.com}",
}

// kayentaSchemaRejects are values the kayenta schema refuses, besides
// sharedSchemaRejects (see TestSchemaRejects).
var kayentaSchemaRejects = []schemaCase{
	{"unknown nested key", "service: {nodePort: 30000}", []string{"at '/service'", "'nodePort' not allowed"}},
	{"negative replicas", "replicaCount: -1", []string{"at '/replicaCount'", "minimum", "-1"}},
	{"replicas as string", `replicaCount: "3"`, []string{"at '/replicaCount'", "got string, want integer"}},
	{"replicas fractional", "replicaCount: 1.5", []string{"at '/replicaCount'", "got number, want integer"}},
	{"kayentaConfig removed", "kayentaConfig: null", []string{"at '': missing property 'kayentaConfig'"}},
	{"kayentaConfig empty", `kayentaConfig: ""`, []string{"at '/kayentaConfig'", "minLength"}},
	{"kayentaConfig blank", `kayentaConfig: "  \n"`, []string{"at '/kayentaConfig'", "does not match pattern"}},
	{"kayentaConfig as mapping", "kayentaConfig: {server: {port: 8090}}", []string{"at '/kayentaConfig'", "got object, want string"}},
	{"files with a path", "files: {'aws/credentials': x}", []string{"at '/files'", "additional properties 'aws/credentials' not allowed"}},
	{"files name too long", "files: {" + strings.Repeat("f", 248) + ": x}", []string{"at '/files'", "additional properties"}},
	{"files content not a string", "files: {token: 42}", []string{"at '/files/token'", "got number, want string"}},
	{"service port too big", "service: {port: 70000}", []string{"at '/service/port'", "maximum"}},
	{"service type", "service: {type: Ingress}", []string{"at '/service/type'", "ClusterIP"}},
	{"service annotation not a string", "service: {annotations: {a: 1}}", []string{"at '/service/annotations/a'", "got number, want string"}},
	{"env without name", "env: [{value: x}]", []string{"at '/env/0'", "missing property 'name'"}},
	{"env value not a string", "env: [{name: A, value: 1}]", []string{"at '/env/0/value'", "got number, want string"}},
	{"env value and valueFrom", "env: [{name: A, value: x, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]", []string{"at '/env/0/value'", "maxLength"}},
	{"env valueFrom with two sources", "env: [{name: A, valueFrom: {fieldRef: {fieldPath: a}, secretKeyRef: {key: b}}}]", []string{"at '/env/0/valueFrom'", "maxProperties"}},
	{"env as map", "env: {A: x}", []string{"at '/env'", "got object, want array"}},
	{"nodeSelector value not a string", "nodeSelector: {gpu: true}", []string{"at '/nodeSelector/gpu'", "got boolean, want string"}},
	{"tolerations operator", "tolerations: [{key: a, operator: Maybe}]", []string{"at '/tolerations/0/operator'"}},
	{"affinity unknown key", "affinity: {nodeAfinity: {}}", []string{"at '/affinity'", "'nodeAfinity' not allowed"}},
	{"podLabels bad value", "podLabels: {team: 'a b'}", []string{"at '/podLabels/team'", "does not match pattern"}},
	{"podLabels bad key", "podLabels: {'team lead': x}", []string{"at '/podLabels'", "additional properties 'team lead' not allowed"}},
	{"serviceAccount create as string", `serviceAccount: {create: "yes"}`, []string{"at '/serviceAccount/create'", "got string, want boolean"}},
	{"serviceAccount name", "serviceAccount: {name: Kayenta_SA}", []string{"at '/serviceAccount/name'"}},
	{"pdb both limits", "podDisruptionBudget: {minAvailable: 1, maxUnavailable: 1}", []string{"at '/podDisruptionBudget/maxUnavailable'", "want null"}},
	{"pdb negative", "podDisruptionBudget: {maxUnavailable: -1}", []string{"at '/podDisruptionBudget/maxUnavailable'"}},
	{"pdb bad percentage", "podDisruptionBudget: {minAvailable: half}", []string{"at '/podDisruptionBudget/minAvailable'"}},
	{"networkPolicy without peers", "networkPolicy: {enabled: true}", []string{"at '/networkPolicy/ingressFrom'", "minItems"}},
	{"networkPolicy peer unknown key", "networkPolicy: {enabled: true, ingressFrom: [{podSelecter: {}}]}", []string{"at '/networkPolicy/ingressFrom/0'", "'podSelecter' not allowed"}},
	{"nameOverride uppercase", "nameOverride: Kayenta", []string{"at '/nameOverride'", "does not match pattern"}},
	{"fullnameOverride too long", "fullnameOverride: " + strings.Repeat("a", 64), []string{"at '/fullnameOverride'", "maxLength"}},
}

// kayentaSchemaAccepts are values the kayenta schema must pass, besides
// sharedSchemaAccepts and the golden cases (which render).
var kayentaSchemaAccepts = []string{
	"replicaCount: 0",
	"podDisruptionBudget: {minAvailable: 50%}",
	"podDisruptionBudget: {maxUnavailable: 0}",
	"podDisruptionBudget: {minAvailable: 1, maxUnavailable: null}",
	"files: {kayenta.yml: a file that happens to share the name}",
	"env: [{name: A, value: '', valueFrom: {fieldRef: {fieldPath: metadata.name}}}]",
	"serviceAccount: {create: false, name: spinnaker}",
	"serviceMonitor: {interval: 1m30s}",
	"networkPolicy: {enabled: false, ingressFrom: []}",
	"networkPolicy: {enabled: true, ingressFrom: [{ipBlock: {cidr: 10.0.0.0/8}}]}",
	"env: [{name: TOKEN, valueFrom: {secretKeyRef: {name: s, key: token}}}]",
	"nameOverride: canary-judge",
}

// values.schema.json, as `helm install` applies it: the user's values are
// coalesced with values.yaml first, so a key set to null is removed. Each
// case's error names the field, after the chart's prefix.
func TestSchemaRejects(t *testing.T) {
	forEachChart(t, func(t *testing.T, ch testChart) {
		c := ch.mustLoad(t)
		for _, tc := range slices.Concat(sharedSchemaRejects, ch.schemaRejects) {
			t.Run(tc.name, func(t *testing.T) {
				_, err := renderValues(c, values(t, tc.values))
				if err == nil {
					t.Fatalf("values %q were accepted", tc.values)
				}
				msg := err.Error()
				t.Log(msg)
				for _, want := range append([]string{"values don't meet the specifications of the schema(s)", ch.name + ":"}, tc.want...) {
					if !strings.Contains(msg, want) {
						t.Errorf("error lacks %q:\n%s", want, msg)
					}
				}
			})
		}
	})
}

// Values that must pass, besides the golden cases (which render): those
// shared by both charts and each chart's own.
func TestSchemaAccepts(t *testing.T) {
	forEachChart(t, func(t *testing.T, ch testChart) {
		c := ch.mustLoad(t)
		for _, v := range slices.Concat(sharedSchemaAccepts, ch.schemaAccepts) {
			if _, err := renderValues(c, values(t, v)); err != nil {
				t.Errorf("values %q: %v", v, err)
			}
		}
	})
}

// values.yaml itself passes the schema.
func TestSchemaOnRawValues(t *testing.T) {
	forEachChart(t, func(t *testing.T, ch testChart) {
		c := ch.mustLoad(t)
		if err := chartutil.ValidateAgainstSchema(c, c.Values); err != nil {
			t.Errorf("values.yaml fails its own schema: %v", err)
		}
	})
}

// The schema requires kayentaConfig when values are validated without the
// defaults.
func TestSchemaRequiresKayentaConfig(t *testing.T) {
	c := loadKayenta(t)
	raw := map[string]any{}
	for k, v := range c.Values {
		if k != "kayentaConfig" {
			raw[k] = v
		}
	}
	err := chartutil.ValidateAgainstSchema(c, raw)
	if err == nil || !strings.Contains(err.Error(), "missing property 'kayentaConfig'") {
		t.Errorf("values without kayentaConfig: err = %v", err)
	}
}
