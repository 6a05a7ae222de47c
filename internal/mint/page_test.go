package mint

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestCursorRoundTrip(t *testing.T) {
	for _, c := range []Cursor{
		{CreatedAt: time.UnixMilli(1765000000123).UTC(), ID: "cl_abc"},
		{CreatedAt: time.UnixMilli(0).UTC(), ID: "x.y.z"},
		{CreatedAt: time.UnixMilli(lastCursorMilli).UTC(), ID: "ünïcode id"},
	} {
		got, err := ParseCursor(c.String())
		if err != nil || got != c {
			t.Errorf("ParseCursor(%q) = %+v, %v; want %+v", c.String(), got, err, c)
		}
	}
}

func TestParseCursorRefuses(t *testing.T) {
	enc := func(raw string) string { return base64.RawURLEncoding.EncodeToString([]byte(raw)) }
	for name, text := range map[string]string{
		"Empty":           "",
		"NotBase64":       "!!!",
		"Padded":          enc("1.a") + "=",
		"NoDot":           enc("123"),
		"NoID":            enc("123."),
		"NotANumber":      enc("abc.id"),
		"Negative":        enc("-1.id"),
		"PlusSign":        enc("+1.id"),
		"LeadingZero":     enc("01.id"),
		"AfterYear9999":   enc("253402300800000.id"),
		"Overflow":        enc("99999999999999999999.id"),
		"NotUTF8":         enc("1.\xff\xfe"),
		"NUL":             enc("1.a\x00b"),
		"NewLine":         enc("1.a\nb"),
		"IDTooLong":       enc("1." + strings.Repeat("a", maxCursorID+1)),
		"TextTooLong":     strings.Repeat("A", maxCursorText+1),
		"StandardEncoded": "MS5h+/", // not the URL alphabet
	} {
		t.Run(name, func(t *testing.T) {
			if c, err := ParseCursor(text); err != ErrBadCursor {
				t.Errorf("ParseCursor(%q) = %+v, %v; want ErrBadCursor", text, c, err)
			}
		})
	}
}

// FuzzParseCursor: whatever a stranger sends, ParseCursor answers a cursor
// that prints back to the same text and that a store can use, or
// ErrBadCursor; it never panics.
func FuzzParseCursor(f *testing.F) {
	f.Add(Cursor{CreatedAt: time.UnixMilli(1765000000123), ID: "cl_abc"}.String())
	f.Add("")
	f.Add("MTIzLg")
	f.Add(strings.Repeat("A", 600))
	f.Fuzz(func(t *testing.T, text string) {
		c, err := ParseCursor(text)
		if err != nil {
			if err != ErrBadCursor {
				t.Fatalf("error %v, want ErrBadCursor", err)
			}
			return
		}
		if c.String() != text {
			t.Fatalf("ParseCursor(%q) = %+v, which prints as %q", text, c, c.String())
		}
		if !utf8.ValidString(c.ID) || c.ID == "" || c.CreatedAt.Year() > 9999 || c.CreatedAt.Before(time.UnixMilli(0)) {
			t.Fatalf("ParseCursor(%q) = %+v: out of the bounds a store takes", text, c)
		}
	})
}

func TestPageSize(t *testing.T) {
	for limit, want := range map[int]int{-5: DefaultPageLimit, 0: DefaultPageLimit, 1: 1, 999: 999,
		MaxPageLimit: MaxPageLimit, MaxPageLimit + 1: MaxPageLimit} {
		if got := (Page{Limit: limit}).Size(); got != want {
			t.Errorf("Page{Limit: %d}.Size() = %d, want %d", limit, got, want)
		}
	}
}

func TestLikePrefix(t *testing.T) {
	for in, want := range map[string]string{"acme": "acme%", "50%": `50\%%`, "a_b": `a\_b%`, `c:\x`: `c:\\x%`, "": "%"} {
		if got := LikePrefix(in); got != want {
			t.Errorf("LikePrefix(%q) = %q, want %q", in, got, want)
		}
	}
}
