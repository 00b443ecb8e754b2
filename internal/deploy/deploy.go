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
	Services map[string]Service
	// Volumes are the named volumes the file declares (top-level volumes:).
	Volumes map[string]bool
}

// Service is one compose service.
type Service struct {
	Build       Build             `yaml:"build"`
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
		Disable     bool     `yaml:"disable"`
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

// Build is a service's build: its context, and the build arguments it
// passes by name only, each taking its value from the environment of the
// compose command (Compose 1.29 passes an unset one as empty).
type Build struct {
	Context string   `yaml:"context"`
	Args    []string `yaml:"args"`
}

// LoadCompose reads docker-compose.yml strictly: a key the checks do not
// know fails, so a new setting is a conscious addition to this model. The
// file has no top-level name: Compose 1.29 refuses it.
func LoadCompose() (*Compose, error) {
	data, err := os.ReadFile(filepath.Join(Root(), "docker-compose.yml"))
	if err != nil {
		return nil, err
	}
	var doc struct {
		Services map[string]Service  `yaml:"services"`
		Volumes  map[string]struct{} `yaml:"volumes"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("docker-compose.yml: %w", err)
	}
	c := &Compose{Services: doc.Services, Volumes: map[string]bool{}}
	for name := range doc.Volumes {
		c.Volumes[name] = true
	}
	return c, nil
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

// Mount is one "source:container[:mode]" entry of volumes: a bind mount
// of a host path (./scenarios) or a named volume (state).
type Mount struct{ Host, Container string }

// Named reports whether the mount is a named volume rather than a host path.
func (m Mount) Named() bool {
	return !strings.HasPrefix(m.Host, ".") && !strings.HasPrefix(m.Host, "/") && !strings.HasPrefix(m.Host, "~")
}

// Mounts parses volumes.
func (s Service) Mounts() ([]Mount, error) {
	var out []Mount
	for _, v := range s.Volumes {
		parts := strings.Split(v, ":")
		if len(parts) < 2 {
			return nil, fmt.Errorf("volume %q is not source:container", v)
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
	// From is the image of each stage, in order, as a build without build
	// arguments resolves it; FromArgs is the build argument each one
	// names, if any (FROM ${ARG:-default}).
	From, FromArgs []string
	// Args are the build arguments declared before the first FROM, in
	// order; ArgDefaults their defaults, where they have one.
	Args        []string
	ArgDefaults map[string]string
	Copies      []Copy            // COPY instructions, all stages
	Runs        []string          // RUN commands, all stages
	Env         map[string]string // ENV of the final stage
	User        string            // USER of the final stage
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

// Copy is a COPY instruction; From is its --from stage, if any, and
// Chown its --chown.
type Copy struct {
	From, Chown string
	Sources     []string
	Dest        string
}

// LoadDockerfile reads the Dockerfile: one instruction per line, with
// backslash continuations; exec forms are JSON arrays.
func LoadDockerfile() (*Dockerfile, error) {
	f, err := os.Open(filepath.Join(Root(), "Dockerfile"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	d := &Dockerfile{ArgDefaults: map[string]string{}}
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
	case "ARG":
		if len(d.From) > 0 {
			return nil // a stage's own ARG: not a base image's
		}
		name, def, hasDefault := strings.Cut(rest, "=")
		d.Args = append(d.Args, name)
		if hasDefault {
			d.ArgDefaults[name] = def
		}
	case "FROM":
		image, arg, err := d.resolve(fields[0])
		if err != nil {
			return err
		}
		d.From = append(d.From, image)
		d.FromArgs = append(d.FromArgs, arg)
		d.Env = map[string]string{} // ENV and USER are per stage; keep the last stage's
		d.User = ""
	case "USER":
		d.User = rest
	case "COPY":
		c := Copy{}
		for len(fields) > 0 && strings.HasPrefix(fields[0], "--") {
			if from, ok := strings.CutPrefix(fields[0], "--from="); ok {
				c.From = from
			}
			if chown, ok := strings.CutPrefix(fields[0], "--chown="); ok {
				c.Chown = chown
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

var argRef = regexp.MustCompile(`^\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}$`)

// resolve reads a FROM image: a name, or one build argument declared before
// the first FROM, ${ARG} or ${ARG:-default}, which it resolves as a build
// without build arguments does.
func (d *Dockerfile) resolve(image string) (resolved, arg string, err error) {
	if !strings.Contains(image, "$") {
		return image, "", nil
	}
	m := argRef.FindStringSubmatch(image)
	if m == nil || !slices.Contains(d.Args, m[1]) {
		return "", "", fmt.Errorf("Dockerfile: FROM %s: use a name or ${ARG:-default} of an ARG declared before the first FROM", image)
	}
	resolved = d.ArgDefaults[m[1]]
	if m[2] != "" && resolved == "" {
		resolved = m[3]
	}
	if resolved == "" {
		return "", "", fmt.Errorf("Dockerfile: FROM %s: no default image", image)
	}
	return resolved, m[1], nil
}

// parseExec reads an exec form, ["a", "b"]; the shell form is refused
// because the runtime image has no shell.
func parseExec(s string, into *[]string) error {
	if err := yaml.Unmarshal([]byte(s), into); err != nil || !strings.HasPrefix(strings.TrimSpace(s), "[") {
		return fmt.Errorf("Dockerfile: %s: use the exec form [\"…\"]: the runtime image has no shell", s)
	}
	return nil
}
