package installer

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Version is ctl's version: the chart's appVersion and the image tag.
var Version = "dev"

// ServiceSettings is $CTL_HOME/<deployment>/service-settings/kayenta.yml,
// Halyard's escape hatch for how the service runs in Kubernetes.
type ServiceSettings struct {
	// Replicas of the service (default 1); replicas share work through S3.
	Replicas *int `yaml:"replicas"`
	// Image is "repository:tag" or "repository@sha256:…".
	Image           string            `yaml:"image"`
	ImagePullPolicy string            `yaml:"imagePullPolicy"`
	Resources       map[string]any    `yaml:"resources"`
	Env             map[string]string `yaml:"env"`
	NodeSelector    map[string]string `yaml:"nodeSelector"`
	Tolerations     []map[string]any  `yaml:"tolerations"`
	// PodAnnotations and ServiceAnnotations; Annotations is a synonym of PodAnnotations.
	Annotations        map[string]string `yaml:"annotations"`
	PodAnnotations     map[string]string `yaml:"podAnnotations"`
	ServiceAnnotations map[string]string `yaml:"serviceAnnotations"`
	ServiceType        string            `yaml:"serviceType"`
}

// LoadServiceSettings reads service-settings/kayenta.yml (absent = defaults).
func LoadServiceSettings(home, deployment string) (*ServiceSettings, error) {
	path := filepath.Join(home, deployment, "service-settings", "kayenta.yml")
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return &ServiceSettings{}, nil
	}
	if err != nil {
		return nil, err
	}
	var s ServiceSettings
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %v (known fields: replicas, image, imagePullPolicy, resources, env, nodeSelector, tolerations, annotations, podAnnotations, serviceAnnotations, serviceType)", path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if s.Replicas != nil && *s.Replicas < 0 {
		return nil, fmt.Errorf("%s: replicas must not be negative", path)
	}
	return &s, nil
}

// Values maps a generated service config and the service settings to the
// kayenta chart's values.
func Values(gen *Generated, s *ServiceSettings) map[string]any {
	v := map[string]any{"kayentaConfig": string(gen.KayentaYML)}
	if len(gen.Files) > 0 {
		files := map[string]any{}
		for k, b := range gen.Files {
			files[k] = string(b)
		}
		v["files"] = files
	}
	v["image"] = ImageValues(s)
	if s.Replicas != nil {
		v["replicaCount"] = *s.Replicas
	}
	if s.Resources != nil {
		v["resources"] = s.Resources
	}
	if len(s.Env) > 0 {
		keys := make([]string, 0, len(s.Env))
		for k := range s.Env {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var env []any
		for _, k := range keys {
			env = append(env, map[string]any{"name": k, "value": s.Env[k]})
		}
		v["env"] = env
	}
	if len(s.NodeSelector) > 0 {
		v["nodeSelector"] = toAny(s.NodeSelector)
	}
	if len(s.Tolerations) > 0 {
		var t []any
		for _, x := range s.Tolerations {
			t = append(t, x)
		}
		v["tolerations"] = t
	}
	pod := map[string]any{}
	for k, x := range s.Annotations {
		pod[k] = x
	}
	for k, x := range s.PodAnnotations {
		pod[k] = x
	}
	if len(pod) > 0 {
		v["podAnnotations"] = pod
	}
	svc := map[string]any{}
	if len(s.ServiceAnnotations) > 0 {
		svc["annotations"] = toAny(s.ServiceAnnotations)
	}
	if s.ServiceType != "" {
		svc["type"] = s.ServiceType
	}
	if len(svc) > 0 {
		v["service"] = svc
	}
	return v
}

// ImageValues is the chart's image value for the service settings: ctl's
// image at this version unless the settings name another. The sample app
// chart takes the same value, as its pods run the service's image.
func ImageValues(s *ServiceSettings) map[string]any {
	img := map[string]any{"tag": Version}
	if s.Image != "" {
		repo, tag := splitImage(s.Image)
		img["repository"] = repo
		img["tag"] = tag
	}
	if s.ImagePullPolicy != "" {
		img["pullPolicy"] = s.ImagePullPolicy
	}
	return img
}

func toAny(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// splitImage splits "repo:tag" (a port in the registry host is kept) or
// "repo@sha256:…" (the digest becomes the tag, which the chart understands).
func splitImage(s string) (string, string) {
	if i := strings.Index(s, "@"); i >= 0 {
		return s[:i], s[i+1:]
	}
	if i := strings.LastIndex(s, ":"); i > strings.LastIndex(s, "/") {
		return s[:i], s[i+1:]
	}
	return s, Version
}
