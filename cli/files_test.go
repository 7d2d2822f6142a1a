package cli_test

import (
	"bytes"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"wxauth/cli"
)

// fileState is what must not change in a file wxauth refuses: its bytes and its mode.
type fileState struct {
	data []byte
	mode os.FileMode
}

func stateOf(t testing.TB, path string) fileState {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return fileState{data: data, mode: fi.Mode().Perm()}
}

// newWXAuthDB makes an empty wxauth database at path, closed, with the given mode.
func newWXAuthDB(t testing.TB, path string, mode os.FileMode) {
	t.Helper()
	openStore(t, path).Close()
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// execSQL runs statements on a SQLite file directly, as another program (or a newer wxauth)
// would, and closes it.
func execSQL(t testing.TB, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func mustContainAll(t testing.TB, what, s string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(s, want) {
			t.Errorf("%s lacks %q:\n%s", what, want, s)
		}
	}
}

// TestDatabasePathIsNeverFollowedNorForeignFilesTouched: --db never goes through a symbolic
// link (to a database, dangling, or beside the database as its -wal) and never changes a file
// it has not confirmed to be a wxauth database: each is refused with a message naming it, and
// left byte for byte and mode for mode as it was. A wxauth database readable by others is
// opened and tightened to 0600.
func TestDatabasePathIsNeverFollowedNorForeignFilesTouched(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// setup makes the files and returns the --db argument and the file that must stay
		// untouched ("" when nothing may appear at all: absent must stay absent).
		setup func(t *testing.T, dir string) (db, victim string)
		args  []string
		want  []string
	}{
		{"a symbolic link to a wxauth database", func(t *testing.T, dir string) (string, string) {
			target := filepath.Join(dir, "real.db")
			newWXAuthDB(t, target, 0o644)
			return symlink(t, target, filepath.Join(dir, "wxauth.db")), target
		}, []string{"status"}, []string{"is a symbolic link", "it points to " + "REAL", "does not follow links", "--db"}},
		{"a dangling symbolic link, for platform add", func(t *testing.T, dir string) (string, string) {
			return symlink(t, filepath.Join(dir, "elsewhere.db"), filepath.Join(dir, "wxauth.db")), filepath.Join(dir, "elsewhere.db")
		}, validAdd(nil), []string{"is a symbolic link", "elsewhere.db"}},
		{"a text file", func(t *testing.T, dir string) (string, string) {
			victim := filepath.Join(dir, "victim.txt")
			writeFile(t, victim, "my notes\n", 0o644)
			return victim, victim
		}, []string{"status"}, []string{"is not a wxauth database", "does not begin with the SQLite header", "left it untouched", "what to do:"}},
		{"another program's SQLite database", func(t *testing.T, dir string) (string, string) {
			victim := filepath.Join(dir, "places.sqlite")
			execSQL(t, victim, `CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT)`, `INSERT INTO moz_places (url) VALUES ('https://example.com')`)
			if err := os.Chmod(victim, 0o644); err != nil {
				t.Fatal(err)
			}
			return victim, victim
		}, []string{"status"}, []string{"is not a wxauth database", "another program", "left it untouched"}},
		{"a symbolic link as the -wal file", func(t *testing.T, dir string) (string, string) {
			db := filepath.Join(dir, "wxauth.db")
			newWXAuthDB(t, db, 0o600)
			victim := filepath.Join(dir, "victim.txt")
			writeFile(t, victim, "my notes\n", 0o644)
			symlink(t, victim, db+"-wal")
			return db, victim
		}, []string{"status"}, []string{"wxauth.db-wal is a symbolic link"}},
		{"a directory", func(t *testing.T, dir string) (string, string) {
			sub := filepath.Join(dir, "sub")
			if err := os.Mkdir(sub, 0o755); err != nil {
				t.Fatal(err)
			}
			return sub, ""
		}, []string{"status"}, []string{"is not a wxauth database", "not a regular file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			db, victim := tt.setup(t, dir)
			var before fileState
			_, statErr := os.Lstat(victim)
			if victim != "" && statErr == nil {
				before = stateOf(t, victim)
			}
			r := wx(t, db, sandboxSecret+"\n", tt.args...)
			if r.code != 1 || r.out != "" {
				t.Errorf("exit %d, stdout %q; want exit 1 and nothing on stdout\nstderr: %s", r.code, r.out, r.err)
			}
			mustContainAll(t, "stderr", r.err, append([]string{db}, replaceAll(tt.want, "REAL", victim)...)...)
			switch {
			case victim == "":
			case statErr != nil:
				if _, err := os.Lstat(victim); err == nil {
					t.Errorf("%s was created through the link", victim)
				}
			default:
				if after := stateOf(t, victim); after.mode != before.mode || !bytes.Equal(after.data, before.data) {
					t.Errorf("%s changed: mode %v → %v, %d → %d bytes", victim, before.mode, after.mode, len(before.data), len(after.data))
				}
			}
		})
	}
	t.Run("a wxauth database readable by others is tightened", func(t *testing.T) {
		t.Parallel()
		db := filepath.Join(t.TempDir(), "wxauth.db")
		newWXAuthDB(t, db, 0o644)
		wxOK(t, db, "status")
		if mode := stateOf(t, db).mode; mode != 0o600 {
			t.Errorf("mode %v, want 0600", mode)
		}
	})
}

// TestDatabaseDirectoryMustExist: a --db or WXAUTH_DB whose directory does not exist is an
// error naming it, and nothing is created, for the commands that work on a database; the
// commands that make one on purpose create it, and so does every command at the default path.
func TestDatabaseDirectoryMustExist(t *testing.T) {
	base := t.TempDir()
	t.Setenv("XDG_DATA_HOME", filepath.Join(base, "xdg"))
	t.Setenv("WXAUTH_DB", "")
	t.Setenv("WXAUTH_APPSECRET", "")
	run := func(stdin string, args ...string) cliResult {
		var out, errOut bytes.Buffer
		code := cli.Main(args, strings.NewReader(stdin), &out, &errOut)
		return cliResult{code: code, out: out.String(), err: errOut.String()}
	}
	typo := filepath.Join(base, "wxuath", "wxauth.db")
	refused := [][]string{
		{"status", "--db", typo},
		{"serve", "--db", typo},
		{"token", "wx8d5e2f7a1c3b9046", "--db", typo},
		{"platform", "list", "--db", typo},
	}
	for _, args := range refused {
		r := run("", args...)
		if r.code != 1 || r.out != "" {
			t.Errorf("%s: exit %d, stdout %q; want exit 1\nstderr: %s", args[0], r.code, r.out, r.err)
		}
		mustContainAll(t, args[0]+" stderr", r.err, typo, "its directory "+filepath.Dir(typo)+" does not exist", "what to do:", "mkdir -p")
	}
	t.Setenv("WXAUTH_DB", typo)
	if r := run("", "status"); r.code != 1 || !strings.Contains(r.err, "does not exist") {
		t.Errorf("WXAUTH_DB=%s status: exit %d\n%s", typo, r.code, r.err)
	}
	t.Setenv("WXAUTH_DB", "")
	if _, err := os.Stat(filepath.Dir(typo)); err == nil {
		t.Fatalf("%s was created", filepath.Dir(typo))
	}

	// On purpose: platform add and the demo make their database and its directory.
	added := filepath.Join(base, "new", "wxauth.db")
	if r := run(sandboxSecret+"\n", append(validAdd(nil), "--db", added)...); r.code != 0 {
		t.Errorf("platform add into a new directory: exit %d\n%s", r.code, r.err)
	}
	demo := filepath.Join(base, "demo", "wxauth.db")
	if r := run("", "demo", "--headless", "--db", demo); r.code != 0 {
		t.Errorf("demo --headless into a new directory: exit %d\n%s", r.code, r.err)
	}
	// The default path is created by any command.
	if r := run("", "status"); r.code != 0 {
		t.Errorf("status at the default path: exit %d\n%s", r.code, r.err)
	}
	for _, p := range []string{added, demo, filepath.Join(base, "xdg", "wxauth", "wxauth.db")} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("not created: %v", err)
		}
	}
}

// TestNewerSchemaIsRefused: a database a newer wxauth migrated past this one's migrations is
// refused, naming both schema versions, and left as it was.
func TestNewerSchemaIsRefused(t *testing.T) {
	t.Parallel()
	db := tempDB(t)
	newWXAuthDB(t, db, 0o600)
	execSQL(t, db, `INSERT INTO schema_version (version) VALUES (99)`)
	before := stateOf(t, db)
	r := wx(t, db, "", "status")
	if r.code != 1 || r.out != "" {
		t.Errorf("exit %d, stdout %q; want 1 and nothing", r.code, r.out)
	}
	want := "database " + db + " has schema version 99, this wxauth knows up to " + newestMigration(t) +
		": use a newer wxauth (or a copy of the database)"
	mustContainAll(t, "stderr", r.err, want)
	if after := stateOf(t, db); !bytes.Equal(after.data, before.data) {
		t.Error("the newer database was written")
	}
}

// newestMigration is the number of the last migration file in storage/migrations.
func newestMigration(t testing.TB) string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join("..", "storage", "migrations", "*.sql"))
	if err != nil || len(names) == 0 {
		t.Fatalf("migrations: %v %v", names, err)
	}
	last := filepath.Base(names[len(names)-1])
	n, _, _ := strings.Cut(last, "_")
	return strings.TrimLeft(n, "0")
}

// TestLogFileIsNeverFollowedAndTightened: wxauth.log beside the database is written only as a
// plain file of ours: one readable by others is tightened to 0600 (and kept), a symbolic link
// (even dangling) is refused with a message and its target left alone.
func TestLogFileIsNeverFollowedAndTightened(t *testing.T) {
	t.Parallel()
	t.Run("readable by others", func(t *testing.T) {
		t.Parallel()
		db := tempDB(t)
		log := filepath.Join(filepath.Dir(db), "wxauth.log")
		writeFile(t, log, "an earlier line\n", 0o644)
		wxOK(t, db, "status")
		if st := stateOf(t, log); st.mode != 0o600 || !bytes.HasPrefix(st.data, []byte("an earlier line\n")) {
			t.Errorf("log mode %v, content %q; want 0600 and the earlier lines kept", st.mode, st.data)
		}
	})
	for _, dangling := range []bool{false, true} {
		name := map[bool]string{false: "a symbolic link", true: "a dangling symbolic link"}[dangling]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			db := tempDB(t)
			victim := filepath.Join(t.TempDir(), "victim.txt")
			if !dangling {
				writeFile(t, victim, "my notes\n", 0o644)
			}
			log := symlink(t, victim, filepath.Join(filepath.Dir(db), "wxauth.log"))
			r := wx(t, db, "", "status")
			if r.code != 1 {
				t.Errorf("exit %d; want 1\nstderr: %s", r.code, r.err)
			}
			mustContainAll(t, "stderr", r.err, "log file "+log+" is a symbolic link")
			if dangling {
				if _, err := os.Lstat(victim); err == nil {
					t.Error("the log was created through the link")
				}
			} else if st := stateOf(t, victim); st.mode != 0o644 || string(st.data) != "my notes\n" {
				t.Errorf("victim changed: mode %v, %q", st.mode, st.data)
			}
		})
	}
}

func symlink(t testing.TB, target, link string) string {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
	return link
}

func writeFile(t testing.TB, path, data string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // past the umask
		t.Fatal(err)
	}
}

func replaceAll(ss []string, old, new string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.ReplaceAll(s, old, new)
	}
	return out
}
