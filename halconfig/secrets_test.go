package halconfig

import (
	"fmt"
	"strings"
	"testing"
)

func TestSensitiveFields(t *testing.T) {
	h := NewConfig()
	d := h.Deployment("default")
	d.DeploymentEnvironment.KubeconfigFile = "/home/u/.kube/config"
	prom := d.Canary.Integration("prometheus")
	prom.Accounts = append(prom.Accounts, &Account{Name: "p", Values: map[string]string{
		"endpoint.baseUrl": "http://p:9090", "username": "u", "password": "pw", "usernamePasswordFile": "/etc/p"}})
	aws := d.Canary.Integration("aws")
	aws.Accounts = append(aws.Accounts, &Account{Name: "s3", Values: map[string]string{"bucket": "b", "secretAccessKey": "encrypted:vault!k"}})
	dd := d.Canary.Integration("datadog")
	dd.Accounts = append(dd.Accounts, &Account{Name: "dd", Values: map[string]string{"apiKey": "k"}}) // applicationKey unset

	var got []string
	for _, sf := range h.SensitiveFields() {
		got = append(got, fmt.Sprintf("%s=%s secret=%v file=%v ref=%v", sf.FieldRef, sf.Value, sf.Desc.Secret, sf.Desc.LocalFile, sf.IsReference()))
	}
	want := []string{
		"deploymentEnvironment.kubeconfigFile (deployment default)=/home/u/.kube/config secret=false file=true ref=false",
		"prometheus account p password (deployment default)=pw secret=true file=false ref=false",
		"prometheus account p usernamePasswordFile (deployment default)=/etc/p secret=false file=true ref=false",
		"datadog account dd apiKey (deployment default)=k secret=true file=false ref=false",
		"aws account s3 secretAccessKey (deployment default)=encrypted:vault!k secret=true file=false ref=true",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("SensitiveFields:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestGetSetField(t *testing.T) {
	h := NewConfig()
	h.Deployment("default").Canary.Integration("aws").Accounts = []*Account{{Name: "s3", Values: map[string]string{}}}
	ref := FieldRef{Deployment: "default", Provider: "aws", Account: "s3", Field: "secretAccessKey"}
	if !h.SetField(ref, "x") {
		t.Fatal("SetField on an existing account failed")
	}
	if v, ok := h.GetField(ref); !ok || v != "x" {
		t.Errorf("GetField = %q, %v", v, ok)
	}
	kube := FieldRef{Deployment: "default", Field: "deploymentEnvironment.kubeconfigFile"}
	if !h.SetField(kube, "/k") || h.Deployment("default").DeploymentEnvironment.KubeconfigFile != "/k" {
		t.Error("SetField on the kubeconfig failed")
	}
	for _, missing := range []FieldRef{
		{Deployment: "nope", Provider: "aws", Account: "s3", Field: "secretAccessKey"},
		{Deployment: "default", Provider: "aws", Account: "nope", Field: "secretAccessKey"},
		{Deployment: "default", Provider: "nope", Account: "s3", Field: "secretAccessKey"},
		{Deployment: "default", Provider: "aws", Account: "s3", Field: "nope"},
		{Deployment: "default", Field: "deploymentEnvironment.nope"},
	} {
		if _, ok := h.GetField(missing); ok {
			t.Errorf("GetField(%+v) found a field", missing)
		}
		if h.SetField(missing, "v") {
			t.Errorf("SetField(%+v) succeeded", missing)
		}
	}
}

func TestSetCommand(t *testing.T) {
	for _, tc := range []struct {
		ref   FieldRef
		value string
		want  string
	}{
		{FieldRef{Deployment: "default", Provider: "aws", Account: "my-s3", Field: "secretAccessKey"}, "",
			"ctl config canary aws account edit my-s3 --secret-access-key --deployment default"},
		{FieldRef{Deployment: "prod", Provider: "prometheus", Account: "p", Field: "usernamePasswordFile"}, "/etc/my creds",
			"ctl config canary prometheus account edit p --username-password-file '/etc/my creds' --deployment prod"},
		{FieldRef{Deployment: "prod", Provider: "google", Account: "g", Field: "jsonPath"}, "",
			"ctl config canary google account edit g --json-path PATH --deployment prod"},
		{FieldRef{Deployment: "default", Field: "deploymentEnvironment.kubeconfigFile"}, "/home/u/.kube/config",
			"ctl config deploy edit --kubeconfig /home/u/.kube/config --deployment default"},
	} {
		if got := tc.ref.SetCommand(tc.value); got != tc.want {
			t.Errorf("SetCommand = %q\n want %q", got, tc.want)
		}
	}
}
