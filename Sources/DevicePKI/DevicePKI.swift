// DevicePKI
