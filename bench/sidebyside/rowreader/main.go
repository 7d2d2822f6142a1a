// Command rowreader is the floor under `wxauth token APPID`: the least a Go program on
// modernc.org/sqlite (wxauth's driver) does to print the same row, with nothing of wxauth.
// Beside the sqlite3 CLI it shows what starting a Go binary with that driver costs by itself.
package main

import (
	"database/sql"
	"fmt"
	"os"

	_ "modernc.org/sqlite"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: rowreader DB AUTHORIZER_APPID")
		os.Exit(2)
	}
	db, err := sql.Open("sqlite", "file:"+os.Args[1]+"?mode=ro")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var token string
	err = db.QueryRow(`SELECT access_token FROM authorizers WHERE authorizer_appid=?`, os.Args[2]).Scan(&token)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(token)
}
