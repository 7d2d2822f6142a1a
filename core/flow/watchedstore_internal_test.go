package flow

import (
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"testing"
)

// TestEveryStoreMethodWatched: watchedStore declares each method of Store itself. A method
// only promoted from the embedded Store would fail unnoticed by the store's health (no
// "unreachable since", nothing held), which is how the token service's and the sinks' methods
// went unwatched when they were added.
func TestEveryStoreMethodWatched(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "watchedstore.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	declared := map[string]bool{}
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Recv == nil || len(fn.Recv.List) != 1 {
			continue
		}
		if id, ok := fn.Recv.List[0].Type.(*ast.Ident); ok && id.Name == "watchedStore" {
			declared[fn.Name.Name] = true
		}
	}
	st := reflect.TypeFor[Store]()
	for i := range st.NumMethod() {
		if name := st.Method(i).Name; !declared[name] {
			t.Errorf("Store.%s is not watched: add it to watchedstore.go", name)
		}
	}
	if len(declared) < st.NumMethod() {
		t.Fatalf("%d methods declared on watchedStore, Store has %d", len(declared), st.NumMethod())
	}
}
