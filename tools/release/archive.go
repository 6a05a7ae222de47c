package main

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// docs go into every archive beside the binary.
var docs = []string{"LICENSE", "README.md", "CHANGELOG.md"}

// member is one file of an archive.
type member struct {
	name string // path inside the archive's top folder
	src  string // file on disk
	mode fs.FileMode
}

// archiveBase is an archive's name without extension, and its top folder:
// mint_1.2.3_linux_amd64.
func archiveBase(t target, s source) string {
	return "mint_" + strings.TrimPrefix(s.version, "v") + "_" + t.os + "_" + t.arch
}

// archive packs bin and the docs into dist as a .tar.gz (a .zip for
// Windows, whose users have no tar by habit) and returns its file name.
// Every entry has the commit's time and root's ownership, so one commit
// gives the same bytes.
func archive(root, dist, bin string, t target, s source) (string, error) {
	members := []member{{t.exe(), bin, 0o755}}
	for _, d := range docs {
		members = append(members, member{d, filepath.Join(root, d), 0o644})
	}
	base := archiveBase(t, s)
	if t.os == "windows" {
		return base + ".zip", writeZip(filepath.Join(dist, base+".zip"), base, members, s.date)
	}
	return base + ".tar.gz", writeTarGz(filepath.Join(dist, base+".tar.gz"), base, members, s.date)
}

func writeTarGz(path, top string, members []member, mtime time.Time) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer closeInto(f, &err)
	gz, _ := gzip.NewWriterLevel(f, gzip.BestCompression) // the header has no name or time
	defer closeInto(gz, &err)
	tw := tar.NewWriter(gz)
	defer closeInto(tw, &err)
	hdr := &tar.Header{Typeflag: tar.TypeDir, Name: top + "/", Mode: 0o755, ModTime: mtime, Uname: "root", Gname: "root"}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	for _, m := range members {
		if err := addTar(tw, top+"/"+m.name, m, mtime); err != nil {
			return err
		}
	}
	return nil
}

func addTar(tw *tar.Writer, name string, m member, mtime time.Time) error {
	f, err := os.Open(m.src)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: name, Size: st.Size(), Mode: int64(m.mode), ModTime: mtime, Uname: "root", Gname: "root"}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	_, err = io.Copy(tw, f)
	return err
}

func writeZip(path, top string, members []member, mtime time.Time) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer closeInto(f, &err)
	zw := zip.NewWriter(f)
	defer closeInto(zw, &err)
	for _, m := range members {
		hdr := &zip.FileHeader{Name: top + "/" + m.name, Method: zip.Deflate, Modified: mtime}
		hdr.SetMode(m.mode)
		w, err := zw.CreateHeader(hdr)
		if err != nil {
			return err
		}
		if err := copyFile(w, m.src); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(w io.Writer, src string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}

// closeInto closes c and keeps its error if none came before: a failed
// close of a writer is a truncated archive.
func closeInto(c io.Closer, err *error) {
	if cerr := c.Close(); *err == nil {
		*err = cerr
	}
}
