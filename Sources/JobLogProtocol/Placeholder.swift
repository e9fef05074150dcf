enum _PlaceholderJobLogProtocol {}
