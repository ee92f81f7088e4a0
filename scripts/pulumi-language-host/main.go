// Command pulumi-language-nodejs is Keyfleet's stand-in for Pulumi's Node.js language host.
//
// Pulumi's own host lives in the separate module
// github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3, which the Go module proxy
// reachable from Keyfleet's machines refuses for every version. This host implements the same
// gRPC LanguageRuntime contract with the public packages of github.com/pulumi/pulumi/sdk/v3, and
// starts programs the same way: `node [nodeargs] @pulumi/pulumi/cmd/run --monitor ... <entry>`,
// so the program runner that ships with the @pulumi/pulumi npm package does the real work
// (TypeScript through ts-node, ES modules, closure serialization, ...).
//
// Supported Pulumi.yaml runtime options: typescript (default true), nodeargs, tsconfig,
// packagemanager (npm, yarn, pnpm or bun; for `pulumi install`).
// Not supported: plugins written in Node.js (RunPlugin), code generation (GenerateProject,
// GeneratePackage, GenerateProgram, Pack, Link), templates; they answer Unimplemented.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

// Exit code with which @pulumi/pulumi/cmd/run says "the user was already shown an actionable message".
const exitedAfterUserActionableMessage = 32

func main() {
	var tracing string
	flag.StringVar(&tracing, "tracing", "", "Emit tracing to a Zipkin-compatible tracing endpoint")
	flag.String("root", "", "Project root path (unused)")
	// Flags older engines passed; accepted and ignored (options now arrive in ProgramInfo).
	flag.Bool("typescript", true, "ignored")
	flag.String("tsconfig", "", "ignored")
	flag.String("nodeargs", "", "ignored")
	flag.Parse()

	logging.InitLogging(false, 0, false)

	var engineAddress string
	if args := flag.Args(); len(args) > 0 {
		engineAddress = args[0]
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancelChannel := make(chan bool)
	go func() {
		<-ctx.Done()
		close(cancelChannel)
	}()
	if engineAddress != "" {
		if err := rpcutil.Healthcheck(ctx, engineAddress, 5*time.Minute, cancel); err != nil {
			cmdutil.Exit(fmt.Errorf("could not start health check host RPC server: %w", err))
		}
	}

	host := &nodeHost{engineAddress: engineAddress, tracing: tracing}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancelChannel,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
	})
	if err != nil {
		cmdutil.Exit(fmt.Errorf("could not start language host RPC server: %w", err))
	}
	// The engine reads the port from our first line of stdout.
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		cmdutil.Exit(fmt.Errorf("language host RPC stopped serving: %w", err))
	}
}

type nodeHost struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	engineAddress string
	tracing       string
}

type runtimeOptions struct {
	typescript     bool
	nodeargs       string
	tsconfig       string
	packagemanager string
}

func parseOptions(info *pulumirpc.ProgramInfo) (runtimeOptions, error) {
	opts := runtimeOptions{typescript: true}
	if info == nil || info.GetOptions() == nil {
		return opts, nil
	}
	for k, v := range info.GetOptions().AsMap() {
		switch k {
		case "typescript":
			switch b := v.(type) {
			case bool:
				opts.typescript = b
			case string:
				parsed, err := strconv.ParseBool(b)
				if err != nil {
					return opts, fmt.Errorf("typescript option must be a boolean, got %q", b)
				}
				opts.typescript = parsed
			default:
				return opts, fmt.Errorf("typescript option must be a boolean, got %v", v)
			}
		case "nodeargs", "tsconfig", "packagemanager":
			s, ok := v.(string)
			if !ok {
				return opts, fmt.Errorf("%s option must be a string, got %v", k, v)
			}
			switch k {
			case "nodeargs":
				opts.nodeargs = s
			case "tsconfig":
				opts.tsconfig = s
			default:
				opts.packagemanager = s
			}
		}
	}
	return opts, nil
}

func (h *nodeHost) Handshake(
	ctx context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	if req.GetEngineAddress() != "" {
		h.engineAddress = req.GetEngineAddress()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *nodeHost) GetPluginInfo(ctx context.Context, _ *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

// packageJSON holds the fields of package.json that matter here.
type packageJSON struct {
	Name            string            `json:"name"`
	Version         string            `json:"version"`
	Dependencies    map[string]string `json:"dependencies"`
	DevDependencies map[string]string `json:"devDependencies"`
	Pulumi          struct {
		Resource bool   `json:"resource"`
		Name     string `json:"name"`
		Version  string `json:"version"`
		Server   string `json:"server"`
	} `json:"pulumi"`
}

func readPackageJSON(path string) (*packageJSON, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var p packageJSON
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &p, nil
}

// resolvePackage finds node_modules/<name>/package.json from dir upwards, as Node does.
func resolvePackage(dir, name string) (string, *packageJSON) {
	for d := dir; ; d = filepath.Dir(d) {
		candidate := filepath.Join(d, "node_modules", filepath.FromSlash(name), "package.json")
		if p, err := readPackageJSON(candidate); err == nil {
			return candidate, p
		}
		if parent := filepath.Dir(d); parent == d {
			return "", nil
		}
	}
}

// directDependencies lists the dependencies declared by the program's package.json (found from dir upwards).
func directDependencies(dir string) (string, []string) {
	for d := dir; ; d = filepath.Dir(d) {
		if p, err := readPackageJSON(filepath.Join(d, "package.json")); err == nil {
			seen := map[string]bool{}
			var names []string
			for _, deps := range []map[string]string{p.Dependencies, p.DevDependencies} {
				for n := range deps {
					if !seen[n] {
						seen[n] = true
						names = append(names, n)
					}
				}
			}
			sort.Strings(names)
			return d, names
		}
		if parent := filepath.Dir(d); parent == d {
			return "", nil
		}
	}
}

// resourcePlugins walks the installed dependency tree and reports packages that declare
// `"pulumi": {"resource": true}`, as the upstream host does.
func resourcePlugins(programDir string) []*pulumirpc.PluginDependency {
	root, names := directDependencies(programDir)
	if root == "" {
		return nil
	}
	var out []*pulumirpc.PluginDependency
	visited := map[string]bool{}
	var visit func(fromDir, name string)
	visit = func(fromDir, name string) {
		path, p := resolvePackage(fromDir, name)
		if p == nil || visited[path] {
			return
		}
		visited[path] = true
		if p.Pulumi.Resource {
			pluginName := p.Pulumi.Name
			if pluginName == "" {
				pluginName = strings.TrimPrefix(p.Name, "@pulumi/")
			}
			v := p.Pulumi.Version
			if v == "" {
				v = p.Version
			}
			if v != "" && !strings.HasPrefix(v, "v") {
				v = "v" + v
			}
			if pluginName != "" && !strings.Contains(pluginName, "/") {
				out = append(out, &pulumirpc.PluginDependency{
					Name: pluginName, Kind: "resource", Version: v, Server: p.Pulumi.Server,
				})
			}
		}
		pkgDir := filepath.Dir(path)
		for dep := range p.Dependencies {
			visit(pkgDir, dep)
		}
	}
	for _, n := range names {
		visit(root, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (h *nodeHost) GetRequiredPlugins(
	ctx context.Context, req *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{
		Plugins: resourcePlugins(req.GetInfo().GetProgramDirectory()),
	}, nil
}

func (h *nodeHost) GetRequiredPackages(
	ctx context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	var pkgs []*pulumirpc.PackageDependency
	for _, p := range resourcePlugins(req.GetInfo().GetProgramDirectory()) {
		pkgs = append(pkgs, &pulumirpc.PackageDependency{
			Name: p.Name, Kind: p.Kind, Version: p.Version, Server: p.Server,
		})
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: pkgs}, nil
}

func (h *nodeHost) GetProgramDependencies(
	ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	root, names := directDependencies(req.GetInfo().GetProgramDirectory())
	var deps []*pulumirpc.DependencyInfo
	for _, n := range names {
		if _, p := resolvePackage(root, n); p != nil {
			deps = append(deps, &pulumirpc.DependencyInfo{Name: n, Version: p.Version})
		}
	}
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: deps}, nil
}

func (h *nodeHost) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("could not find node on the $PATH: %w", err)
	}
	out, err := exec.CommandContext(ctx, nodeBin, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("running node --version: %w", err)
	}
	return &pulumirpc.AboutResponse{
		Executable: nodeBin,
		Version:    strings.TrimPrefix(strings.TrimSpace(string(out)), "v"),
	}, nil
}

func (h *nodeHost) RuntimeOptionsPrompts(
	ctx context.Context, req *pulumirpc.RuntimeOptionsRequest,
) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

func (h *nodeHost) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest, server pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	opts, err := parseOptions(req.GetInfo())
	if err != nil {
		return err
	}
	closer, stdout, stderr, err := rpcutil.MakeInstallDependenciesStreams(server, req.GetIsTerminal())
	if err != nil {
		return err
	}
	defer closer.Close()

	pm := opts.packagemanager
	if pm == "" {
		pm = "npm"
	}
	dir := req.GetInfo().GetProgramDirectory()
	fmt.Fprintf(stdout, "Installing dependencies with %s in %s...\n", pm, dir)
	cmd := exec.CommandContext(server.Context(), pm, "install")
	cmd.Dir = dir
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s install failed: %w", pm, err)
	}
	fmt.Fprintln(stdout, "Finished installing dependencies")
	return nil
}

// locateRunner resolves @pulumi/pulumi/cmd/run the way Node would from the program directory.
func locateRunner(ctx context.Context, nodeBin, dir string) (string, error) {
	mod := os.Getenv("PULUMI_LANGUAGE_NODEJS_RUN_PATH")
	if mod == "" {
		mod = "@pulumi/pulumi/cmd/run"
	}
	cmd := exec.CommandContext(ctx, nodeBin, "-e", fmt.Sprintf("console.log(require.resolve(%q))", mod))
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "", errors.New("it looks like the Pulumi SDK has not been installed " +
			"(could not resolve " + mod + " from " + dir + "). Have you run npm install?")
	}
	return strings.TrimSpace(string(out)), nil
}

func (h *nodeHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	programDir := info.GetProgramDirectory()
	if programDir == "" {
		programDir = req.GetPwd()
	}
	entryPoint := info.GetEntryPoint()
	if entryPoint == "" {
		entryPoint = req.GetProgram()
	}
	if entryPoint == "" {
		entryPoint = "."
	}

	opts, err := parseOptions(info)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return &pulumirpc.RunResponse{Error: "could not find node on the $PATH: " + err.Error()}, nil
	}
	runPath, err := locateRunner(ctx, nodeBin, programDir)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	// Config keys go over in the <package>:config:<name> form that every @pulumi/pulumi understands.
	cfg := make(map[string]string, len(req.GetConfig()))
	for k, v := range req.GetConfig() {
		key, err := config.ParseKey(k)
		if err != nil {
			return &pulumirpc.RunResponse{Error: "bad config key " + k + ": " + err.Error()}, nil
		}
		cfg[key.Namespace()+":config:"+key.Name()] = v
	}
	cfgJSON, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secretJSON, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, err
	}

	env := append(os.Environ(), "PULUMI_CONFIG="+string(cfgJSON), "PULUMI_CONFIG_SECRET_KEYS="+string(secretJSON))
	if opts.typescript {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if opts.tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+opts.tsconfig)
	}

	args, err := splitArgs(opts.nodeargs)
	if err != nil {
		return &pulumirpc.RunResponse{Error: "nodeargs: " + err.Error()}, nil
	}
	args = append(args, runPath)
	add := func(flagName, value string) {
		if value != "" {
			args = append(args, "--"+flagName, value)
		}
	}
	// The SDK talks to the engine's resource monitor directly (no proxy, no synchronous-invoke pipes).
	add("monitor", req.GetMonitorAddress())
	add("engine", h.engineAddress)
	add("organization", req.GetOrganization())
	add("project", req.GetProject())
	add("root-directory", info.GetRootDirectory())
	add("stack", req.GetStack())
	add("pwd", programDir)
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	add("parallel", strconv.Itoa(int(req.GetParallel())))
	add("tracing", h.tracing)
	args = append(args, entryPoint)
	args = append(args, req.GetArgs()...)

	logging.V(5).Infof("Language host launching process: %s %s", nodeBin, strings.Join(args, " "))
	cmd := exec.CommandContext(ctx, nodeBin, args...)
	cmd.Cancel = func() error {
		if err := cmd.Process.Signal(os.Interrupt); err != nil {
			return cmd.Process.Kill()
		}
		return nil
	}
	cmd.WaitDelay = 5 * time.Second
	// Wrap the writers so Node cannot flip our own stdout/stderr into non-blocking mode.
	cmd.Stdout = struct{ io.Writer }{os.Stdout}
	cmd.Stderr = struct{ io.Writer }{os.Stderr}
	cmd.Env = env
	cmd.Dir = programDir

	if err := cmd.Run(); err != nil {
		_ = os.Stdout.Sync()
		_ = os.Stderr.Sync()
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			switch code := exitErr.ExitCode(); code {
			case exitedAfterUserActionableMessage:
				return &pulumirpc.RunResponse{Bail: true}, nil
			case 0:
				return &pulumirpc.RunResponse{Error: "Program exited unexpectedly: " + err.Error()}, nil
			default:
				return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", code)}, nil
			}
		}
		return &pulumirpc.RunResponse{
			Error: "Problem executing program (could not run language executor): " + err.Error(),
		}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

// splitArgs splits a command line like a POSIX shell would for words: whitespace separates,
// single and double quotes group, backslash escapes (outside single quotes).
func splitArgs(s string) ([]string, error) {
	var args []string
	var cur strings.Builder
	inWord, quote, escaped := false, rune(0), false
	for _, r := range s {
		switch {
		case escaped:
			cur.WriteRune(r)
			escaped = false
		case r == '\\' && quote != '\'':
			escaped, inWord = true, true
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t' || r == '\n':
			if inWord {
				args = append(args, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 || escaped {
		return nil, fmt.Errorf("unterminated quote or escape in %q", s)
	}
	if inWord {
		args = append(args, cur.String())
	}
	return args, nil
}
