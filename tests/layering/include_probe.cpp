// Compiled by the layering tests with one library's include directories and LEKHIKA_PROBE
// naming a header of another layer: the include must resolve only when the dependency rule
// (workflow <- providers, persistence, publishing <- actors <- http <- app) allows it.
#include LEKHIKA_PROBE

int main() { return 0; }
