// Command runc-wrapper is an OCI runtime that drops the capabilities this host's capability bounding set lacks
// (here CAP_SYS_RESOURCE) from a container's config.json and from `runc exec --process` files, then execs the real
// runc with the same arguments.
//
// Why: runc refuses to start a process whose capability sets name a capability outside the bounding set of the
// calling process ("unable to apply caps: operation not permitted"). `docker run --privileged` (every Kind node)
// and privileged pods (kube-proxy) ask for all capabilities. Dropping the ones that cannot be granted anyway
// changes nothing a container can really do.
//
// The real runc is $TOOLGATE_REAL_RUNC, else the first of /usr/local/sbin/runc.real, /usr/sbin/runc.real,
// /usr/local/bin/runc.real, /usr/local/sbin/runc, /usr/sbin/runc, /usr/bin/runc that exists and is not this program.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// capNames lists Linux capabilities by number (linux/capability.h).
var capNames = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
	"CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN",
	"CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
	"CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
	"CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
	"CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
	"CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
}

// unavailable returns the capabilities missing from this process's bounding set, plus any named in
// $TOOLGATE_DROP_CAPS (comma separated), always including CAP_SYS_RESOURCE's absence if the kernel says so.
func unavailable() map[string]bool {
	drop := map[string]bool{}
	if status, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(status), "\n") {
			if v, ok := strings.CutPrefix(line, "CapBnd:"); ok {
				if mask, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64); err == nil {
					for i, name := range capNames {
						if mask&(1<<uint(i)) == 0 {
							drop[name] = true
						}
					}
				}
			}
		}
	}
	for _, name := range strings.Split(os.Getenv("TOOLGATE_DROP_CAPS"), ",") {
		if name = strings.TrimSpace(name); name != "" {
			drop[strings.ToUpper(name)] = true
		}
	}
	return drop
}

// filterCaps removes dropped names from every capability set of an OCI "capabilities" object.
func filterCaps(caps map[string]any, drop map[string]bool) bool {
	changed := false
	for set, v := range caps {
		list, ok := v.([]any)
		if !ok {
			continue
		}
		kept := make([]any, 0, len(list))
		for _, c := range list {
			if s, ok := c.(string); ok && drop[s] {
				changed = true
				continue
			}
			kept = append(kept, c)
		}
		caps[set] = kept
	}
	return changed
}

// rewrite filters the capabilities of a config.json (process under "process") or a process.json (top level).
func rewrite(path string, nested bool, drop map[string]bool) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // keep 64-bit numbers (rlimits, memory limits) exact
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return fmt.Errorf("parse %s: %w", path, err)
	}
	proc := doc
	if nested {
		p, ok := doc["process"].(map[string]any)
		if !ok {
			return nil
		}
		proc = p
	}
	caps, ok := proc["capabilities"].(map[string]any)
	if !ok || !filterCaps(caps, drop) {
		return nil
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	tmp := path + ".runc-wrapper"
	if err := os.WriteFile(tmp, out, info.Mode().Perm()); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// flagValue finds --name value / --name=value / -short value among args after the subcommand.
func flagValue(args []string, long, short string) (string, bool) {
	for i, a := range args {
		switch {
		case a == "--"+long || a == "-"+long || (short != "" && a == "-"+short):
			if i+1 < len(args) {
				return args[i+1], true
			}
		case strings.HasPrefix(a, "--"+long+"=") || strings.HasPrefix(a, "-"+long+"="):
			return a[strings.Index(a, "=")+1:], true
		}
	}
	return "", false
}

// globalFlagsWithValue are runc's global options that take a separate value (so the subcommand is found).
var globalFlagsWithValue = map[string]bool{"--root": true, "--log": true, "--log-format": true, "--criu": true,
	"--rootless": true}

func realRunc() string {
	if p := os.Getenv("TOOLGATE_REAL_RUNC"); p != "" {
		return p
	}
	self, _ := os.Executable()
	self, _ = filepath.EvalSymlinks(self)
	for _, p := range []string{"/usr/local/sbin/runc.real", "/usr/sbin/runc.real", "/usr/local/bin/runc.real",
		"/usr/local/sbin/runc", "/usr/sbin/runc", "/usr/bin/runc"} {
		if r, err := filepath.EvalSymlinks(p); err == nil && r != self {
			if st, err := os.Stat(r); err == nil && st.Mode().IsRegular() {
				return p
			}
		}
	}
	return "runc.real"
}

func main() {
	args := os.Args[1:]
	sub, subAt := "", -1
	for i := 0; i < len(args); i++ {
		a := args[i]
		if globalFlagsWithValue[a] {
			i++
			continue
		}
		if !strings.HasPrefix(a, "-") {
			sub, subAt = a, i
			break
		}
	}
	drop := unavailable()
	if len(drop) > 0 && subAt >= 0 {
		rest := args[subAt+1:]
		var err error
		switch sub {
		case "create", "run":
			bundle, ok := flagValue(rest, "bundle", "b")
			if !ok || bundle == "" {
				bundle, _ = os.Getwd()
			}
			err = rewrite(filepath.Join(bundle, "config.json"), true, drop)
		case "exec":
			if p, ok := flagValue(rest, "process", "p"); ok && p != "" {
				err = rewrite(p, false, drop)
			}
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "runc-wrapper: %v\n", err)
			os.Exit(1)
		}
	}
	bin := realRunc()
	if !strings.Contains(bin, "/") {
		fmt.Fprintf(os.Stderr, "runc-wrapper: real runc not found (set TOOLGATE_REAL_RUNC)\n")
		os.Exit(127)
	}
	if err := syscall.Exec(bin, append([]string{bin}, args...), os.Environ()); err != nil {
		fmt.Fprintf(os.Stderr, "runc-wrapper: exec %s: %v\n", bin, err)
		os.Exit(127)
	}
}
