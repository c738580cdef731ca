// Placeholder so the target builds while the module is being written.
enum _AirlockLDNSPlaceholder {}
