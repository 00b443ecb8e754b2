package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// printHelp writes cmd's help: its description, usage, subcommands, flags
// and runnable examples.
func (a *app) printHelp(w io.Writer, cmd *command, path []string) {
	var b strings.Builder
	desc := strings.TrimSpace(cmd.long)
	if desc == "" {
		desc = cmd.short
	}
	b.WriteString(desc + "\n\nUsage:\n  " + strings.Join(path, " "))
	if len(cmd.subs) > 0 {
		if cmd.run != nil {
			b.WriteString(" [<command>]")
		} else {
			b.WriteString(" <command>")
		}
	}
	if cmd.args != "" {
		b.WriteString(" " + cmd.args)
	}
	b.WriteString(" [flags]\n")

	if len(cmd.subs) > 0 {
		writeCommandList(&b, cmd)
	}
	if flags := localFlags(cmd); flags != "" {
		b.WriteString("\nFlags:\n" + flags)
	}
	if len(path) == 1 {
		b.WriteString(rootReference())
	}
	if len(cmd.examples) > 0 {
		b.WriteString("\nExamples:\n")
		for _, ex := range cmd.examples {
			b.WriteString("  " + ex + "\n")
		}
	}
	if len(path) > 1 {
		fmt.Fprintf(&b, "\nGlobal flags (--url, --mchid, --appid, --notify-url, --json, --sandbox, --config, …)\nand their environment variables: '%s --help'.\n", progName)
	}
	fmt.Fprint(w, b.String())
}

// writeCommandList lists subcommands, under their group headings if any.
func writeCommandList(b *strings.Builder, cmd *command) {
	var groups []string
	byGroup := map[string][]*command{}
	for _, s := range cmd.subs {
		if _, ok := byGroup[s.group]; !ok {
			groups = append(groups, s.group)
		}
		byGroup[s.group] = append(byGroup[s.group], s)
	}
	for _, g := range groups {
		heading := g
		if heading == "" {
			heading = "Commands"
		}
		b.WriteString("\n" + heading + ":\n")
		tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
		for _, s := range byGroup[g] {
			name := s.name
			if s.args != "" {
				name += " " + s.args
			}
			fmt.Fprintf(tw, "  %s\t%s\n", name, s.short)
		}
		tw.Flush()
	}
}

// localFlags renders the command's own flags (not the global ones), with
// double dashes as people type them.
func localFlags(cmd *command) string {
	if cmd.setFlags == nil {
		return ""
	}
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	cmd.setFlags(fs)
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fs.VisitAll(func(f *flag.Flag) {
		if isGlobalFlag(f.Name) {
			return
		}
		name, usage := flag.UnquoteUsage(f)
		spec := "--" + f.Name
		if name != "" {
			spec += " " + name
		}
		if f.DefValue != "" && f.DefValue != "0" && f.DefValue != "false" {
			usage += " (default " + f.DefValue + ")"
		}
		fmt.Fprintf(tw, "  %s\t%s\n", spec, usage)
	})
	tw.Flush()
	return b.String()
}

// rootReference is the part of the top-level help that documents every
// setting by its three names, and the conventions shared by all commands.
func rootReference() string {
	var b strings.Builder
	b.WriteString(`
Configuration (a flag wins over the environment, which wins over the file):
`)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  flag\tenvironment\tconfig key\tmeaning\n")
	for _, f := range settingFields() {
		fmt.Fprintf(tw, "  --%s\t%s\t%s\t%s\n", f.flag, f.env, f.yaml, f.help)
	}
	fmt.Fprintf(tw, "  --config\t%s\t\tpath of a YAML file holding the config keys, e.g. \"mchid: '1230000109'\"\n", configEnv)
	fmt.Fprintf(tw, "  --json\t\t\tprint the API object as JSON (one object per line for listen and flow)\n")
	fmt.Fprintf(tw, "  --sandbox\t\t\tregister a fresh merchant in the mock (POST /sandbox/merchants) and act as it\n")
	tw.Flush()
	b.WriteString(`
Credentials: with none configured and a mock as the target, the mock's default
merchant ` + defaultMchID + ` is used (its key comes from GET /sandbox/merchants/` + defaultMchID + `),
so a first try needs no files; with only MOCKPAY_MCHID set, the rest comes from the
mock's record of that merchant. Against WeChat Pay, set MOCKPAY_MCHID,
MOCKPAY_SERIAL_NO, MOCKPAY_PRIVATE_KEY, MOCKPAY_APIV3_KEY, MOCKPAY_APPID and
MOCKPAY_SERVICE_ID. Answers and callbacks are verified with MOCKPAY_PLATFORM_CERT,
or MOCKPAY_PUBLIC_KEY with MOCKPAY_PUBLIC_KEY_ID, or else with the platform
certificates downloaded from /v3/certificates. A mock's are kept until they expire,
per mock URL, in MOCKPAY_CACHE_DIR (default: mockpay in the user's cache directory;
off keeps nothing), so that each command does not download them again.

HTTPS: a mock serving testdata/certs/tls_cert.pem (MOCKPAY_TLS_CERT, the compose
service mockpay-https on port 8443) has a certificate of mockpay's test CA, which
nothing trusts by default: add --ca-cert testdata/certs/ca_cert.pem (MOCKPAY_CA_CERT)
to every request. The certificate names 127.0.0.1, ::1, localhost, mockpay,
api.mch.weixin.qq.com and api2.mch.weixin.qq.com, so --url https://127.0.0.1:8443
works as it is. --url https://api.mch.weixin.qq.com with a host alias works too, but
a WeChat Pay host is never probed as a mock: it needs every credential, and the
sandbox commands refuse it.

Amounts are in fen (分): 5000 is ¥50.00. Times are yyyyMMddHHmmss in Beijing time,
or now, now+10m, now-1h: "now" is the mock's clock when the target is the mock.

Exit status: 0 success; 1 the API or the network failed (stderr starts with
"CODE: message", then the error's detail); 2 a usage error (nothing was sent).
`)
	return b.String()
}

// helpCmd is `client help [command…]`, the same as `client command --help`.
func (a *app) helpCmd(root *command) *command {
	return &command{
		name: "help", args: "[command…]", short: "show the help of a command", maxArgs: -1,
		long:     "Help shows the description, flags and examples of a command; 'help order create' is 'order create --help'.",
		examples: []string{"go run ./cmd/client help flow ride"},
		run: func(_ context.Context, args []string) error {
			cmd, path := root, []string{progName}
			for _, name := range args {
				sub := cmd.sub(name)
				if sub == nil {
					return unknownCommand(path, cmd, name)
				}
				cmd, path = sub, append(path, name)
			}
			a.printHelp(a.stdout, cmd, path)
			return nil
		},
	}
}
