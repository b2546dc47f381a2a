// Each public header was compiled alone into its own translation unit of
// this program (test/headers/meson.build); building it is the check.
int main() { return 0; }
