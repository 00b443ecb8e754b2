// Package deploy reads the repository's Dockerfile and docker-compose.yml,
// so that tests beside each program can check that the deployment files
// still match the configuration names, ports and paths the program uses.
package deploy

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Root is the repository's top directory.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Compose is the part of docker-compose.yml the checks read.
type Compose struct {
	Services map[string]Service `yaml:"services"`
}

// Service is one compose service.
type Service struct {
	Build       string            `yaml:"build"`
	Image       string            `yaml:"image"`
	Entrypoint  []string          `yaml:"entrypoint"`
	Command     []string          `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	Ports       []string          `yaml:"ports"`
	ExtraHosts  []string          `yaml:"extra_hosts"`
	Volumes     []string          `yaml:"volumes"`
	Profiles    []string          `yaml:"profiles"`
	Sysctls     map[string]int    `yaml:"sysctls"`
	Healthcheck struct {
		Test        []string `yaml:"test"`
		Interval    string   `yaml:"interval"`
		Timeout     string   `yaml:"timeout"`
		StartPeriod string   `yaml:"start_period"`
		Retries     int      `yaml:"retries"`
	} `yaml:"healthcheck"`
	DependsOn map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
	Networks map[string]struct {
		Aliases []string `yaml:"aliases"`
	} `yaml:"networks"`
}

// LoadCompose reads docker-compose.yml strictly: a key the checks do not
// know fails, so a new setting is a conscious addition to this model.
func LoadCompose() (*Compose, error) {
	data, err := os.ReadFile(filepath.Join(Root(), "docker-compose.yml"))
	if err != nil {
		return nil, err
	}
	var doc struct {
		Name     string             `yaml:"name"`
		Services map[string]Service `yaml:"services"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("docker-compose.yml: %w", err)
	}
	return &Compose{Services: doc.Services}, nil
}

var interpolation = regexp.MustCompile(`\$\{([A-Z0-9_]+)(:-([^}]*))?\}`)

// Env is the service's environment as the container sees it when the host
// sets none of the variables the file interpolates: ${VAR:-default} becomes
// default.
func (s Service) Env() map[string]string {
	env := make(map[string]string, len(s.Environment))
	for k, v := range s.Environment {
		env[k] = interpolation.ReplaceAllString(v, "$3")
	}
	return env
}

// PortMapping is one "host:container" entry of ports.
type PortMapping struct{ Host, Container string }

// PortMappings parses ports.
func (s Service) PortMappings() ([]PortMapping, error) {
	var out []PortMapping
	for _, p := range s.Ports {
		host, container, ok := strings.Cut(p, ":")
		if !ok {
			return nil, fmt.Errorf("port %q is not host:container", p)
		}
		out = append(out, PortMapping{host, container})
	}
	return out, nil
}

// Mount is one "host:container[:mode]" bind mount.
type Mount struct{ Host, Container string }

// Mounts parses volumes.
func (s Service) Mounts() ([]Mount, error) {
	var out []Mount
	for _, v := range s.Volumes {
		parts := strings.Split(v, ":")
		if len(parts) < 2 {
			return nil, fmt.Errorf("volume %q is not host:container", v)
		}
		out = append(out, Mount{parts[0], parts[1]})
	}
	return out, nil
}

// Port returns the port of a host:port address.
func Port(addr string) (string, error) {
	_, port, err := net.SplitHostPort(addr)
	return port, err
}

// Dockerfile is the part of the Dockerfile the checks read.
type Dockerfile struct {
	From        []string          // image of each stage, in order
	Copies      []Copy            // COPY instructions, all stages
	Runs        []string          // RUN commands, all stages
	Env         map[string]string // ENV of the final stage
	Expose      []string
	Healthcheck []string // the exec form of HEALTHCHECK CMD
	Entrypoint  []string
}

// Installed is where the final stage puts the program the build stage
// wrote to /out/<name>, or "" if it does not.
func (d *Dockerfile) Installed(name string) string {
	for _, c := range d.Copies {
		if c.From == "build" && slices.Contains(c.Sources, "/out/"+name) {
			return strings.TrimSuffix(c.Dest, "/") + "/" + name
		}
	}
	return ""
}

// Copy is a COPY instruction; From is its --from stage, if any.
type Copy struct {
	From    string
	Sources []string
	Dest    string
}

// LoadDockerfile reads the Dockerfile: one instruction per line, with
// backslash continuations; exec forms are JSON arrays.
func LoadDockerfile() (*Dockerfile, error) {
	f, err := os.Open(filepath.Join(Root(), "Dockerfile"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	d := &Dockerfile{}
	var logical strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if logical.Len() == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if cont, ok := strings.CutSuffix(line, `\`); ok {
			logical.WriteString(cont + " ")
			continue
		}
		logical.WriteString(line)
		if err := d.add(logical.String()); err != nil {
			return nil, err
		}
		logical.Reset()
	}
	return d, sc.Err()
}

func (d *Dockerfile) add(instr string) error {
	op, rest, _ := strings.Cut(instr, " ")
	rest = strings.TrimSpace(rest)
	fields := strings.Fields(rest)
	switch strings.ToUpper(op) {
	case "FROM":
		d.From = append(d.From, fields[0])
		d.Env = map[string]string{} // ENV is per stage; keep the last stage's
	case "COPY":
		c := Copy{}
		for len(fields) > 0 && strings.HasPrefix(fields[0], "--") {
			if from, ok := strings.CutPrefix(fields[0], "--from="); ok {
				c.From = from
			}
			fields = fields[1:]
		}
		if len(fields) < 2 {
			return fmt.Errorf("Dockerfile: COPY %s: needs a source and a destination", rest)
		}
		c.Sources, c.Dest = fields[:len(fields)-1], fields[len(fields)-1]
		d.Copies = append(d.Copies, c)
	case "RUN":
		d.Runs = append(d.Runs, rest)
	case "ENV":
		k, v, ok := strings.Cut(rest, "=")
		if !ok || strings.ContainsAny(k, " \t") {
			return fmt.Errorf("Dockerfile: ENV %s: use the KEY=value form, one per line", rest)
		}
		d.Env[k] = v
	case "EXPOSE":
		d.Expose = append(d.Expose, fields...)
	case "HEALTHCHECK":
		_, cmd, ok := strings.Cut(rest, "CMD ")
		if !ok {
			return fmt.Errorf("Dockerfile: HEALTHCHECK %s: no CMD", rest)
		}
		return parseExec(cmd, &d.Healthcheck)
	case "ENTRYPOINT":
		return parseExec(rest, &d.Entrypoint)
	}
	return nil
}

// parseExec reads an exec form, ["a", "b"]; the shell form is refused
// because the runtime image has no shell.
func parseExec(s string, into *[]string) error {
	if err := yaml.Unmarshal([]byte(s), into); err != nil || !strings.HasPrefix(strings.TrimSpace(s), "[") {
		return fmt.Errorf("Dockerfile: %s: use the exec form [\"…\"]: the runtime image has no shell", s)
	}
	return nil
}
